"""The portal's words for the professional registration and its CPD ledger (registration_pages.py,
templates registration.html and _registration_card.html), Arabic and English; text.py adds them
to the portal's one table."""

REGISTRATION_TEXT: dict[str, tuple[str, str]] = {
    "nav_registration": ("التسجيل المهني", "Professional registration"),
    "registration.title": ("التسجيل المهني", "Professional registration"),
    "registration.none": (
        "لا يوجد لديك تسجيل مهني بعد؛ يصدر عند اعتماد أول تصنيف مهني لك.",
        "You have no professional registration yet: it is issued when your first classification is approved.",
    ),
    "registration.number": ("رقم التسجيل", "Registration number"),
    "registration.status": ("الحالة", "Status"),
    "registration.expires_on": ("تاريخ الانتهاء", "Expires on"),
    "registration.days_left": ("الأيام المتبقية", "Days left"),
    "registration.days_left_value": ("{n} يوماً", "{n} days"),
    "registration.expired_days": ("انتهى منذ {n} يوماً", "Expired {n} days ago"),
    "registration.renewal_opens_on": ("يُفتح التجديد في", "Renewal opens on"),
    "registration.details": ("تفاصيل التسجيل والتطوير المهني", "Registration and CPD details"),
    "registration.renew_button": ("تجديد التسجيل", "Renew the registration"),
    "registration.status.active": ("ساري", "Active"),
    "registration.status.renewal_open": ("التجديد متاح", "Renewal open"),
    "registration.status.renewed": ("مُجدَّد", "Renewed"),
    "registration.status.grace": ("فترة السماح", "Grace period"),
    "registration.status.lapsed": ("ساقط", "Lapsed"),
    "registration.status.suspended": ("موقوف", "Suspended"),
    "cpd.title": ("ساعات التطوير المهني المستمر لهذه الدورة", "Continuing professional development this cycle"),
    "cpd.progress": (
        "{earned} من {required} ساعة (المتبقي {needed})",
        "{earned} of {required} hours ({needed} still needed)",
    ),
    "cpd.cycle": ("الدورة {n}: من {start} حتى {end}", "Cycle {n}: {start} to {end}"),
    "cpd.activities": ("الأنشطة المحتسبة", "Activities counted"),
    "cpd.none": ("لم تُحتسب أي أنشطة في هذه الدورة بعد.", "No activity has been counted in this cycle yet."),
    "cpd.source.provider": ("من الجهة المقدِّمة", "reported by the provider"),
    "cpd.source.certificate": ("شهادة معتمدة", "approved certificate"),
    "cpd.source.recognition": ("معادلة ساعات من الخارج", "recognised from abroad"),
    "cpd.hours_value": ("{hours} ساعة", "{hours} hours"),
    "recognition.title": ("معادلة ساعات تعليم مستمر من الخارج", "CPD hours earned abroad"),
    "recognition.intro": (
        "اطلب احتساب ساعات نشاط حضرته خارج المملكة، مع شهادة الحضور؛ يحدد المراجع الساعات المعتمدة.",
        "Ask for the hours of an activity you attended abroad to count, with its certificate of "
        "attendance; a reviewer decides how many hours are recognised.",
    ),
    "recognition.new": ("طلب معادلة ساعات", "Ask to have hours recognised"),
    "recognition.form_title": ("طلب معادلة ساعات تعليم مستمر من الخارج", "Recognition of CPD hours earned abroad"),
    "recognition.claimed": ("{hours} ساعة مطلوبة", "{hours} hours claimed"),
    "recognition.recognised": ("اعتُمدت {hours} من {claimed} ساعة", "{hours} of {claimed} hours recognised"),
    "recognition.open": ("التفاصيل", "Details"),
    "recognition.send": ("إرسال الطلب", "Send the request"),
    # An activity's date refused: the general wording speaks of a certificate's date obtained.
    "error.attended_on.metadata.date_in_future": (
        "تاريخ النشاط في المستقبل. أدخل تاريخ حضورك النشاط كما في شهادة الحضور، ولا يكون بعد اليوم.",
        "The activity's date is in the future. Enter the date you attended it, as the certificate of "
        "attendance shows it; it cannot be later than today.",
    ),
    "error.attended_on.metadata.date_implausible": (
        "تاريخ النشاط غير معقول. أدخل تاريخ حضورك النشاط كما في شهادة الحضور.",
        "The activity's date is not plausible. Enter the date you attended it, as the certificate of "
        "attendance shows it.",
    ),
    "field.title": ("عنوان النشاط", "Activity title"),
    "field.provider": ("الجهة المقدمة للنشاط", "Provider"),
    "field.country": ("رمز الدولة (حرفان، مثل GB)", "Country code (two letters, e.g. GB)"),
    "field.category": ("نوع النشاط (مؤتمر، ورشة، دورة…)", "Kind of activity (conference, workshop, course…)"),
    "field.hours_claimed": ("الساعات المطلوب احتسابها", "Hours you ask to have recognised"),
    "field.attended_on": ("تاريخ النشاط", "Date attended"),
    "done.recognition_requested": (
        "استلمنا طلب معادلة الساعات وسيُراجع؛ تظهر حالته في هذه الصفحة.",
        "Your recognition request is received and will be reviewed; its status shows on this page.",
    ),
    "renewal.title": ("طلب التجديد", "Renewal"),
    "renewal.status.requested": ("قيد إصدار الفاتورة", "Invoice being issued"),
    "renewal.status.awaiting_payment": ("بانتظار السداد", "Awaiting payment"),
    "renewal.status.paid": ("مدفوع", "Paid"),
    "renewal.status.lapsed": ("أُلغي لعدم السداد", "Lapsed: not paid in time"),
    "renewal.status.refused": ("مرفوض: سقط التسجيل قبل السداد", "Refused: the registration had lapsed"),
    "renewal.refund_due": (
        "وصلت رسوم التجديد بعد سقوط التسجيل، فلم يُجدَّد، وستُعاد إليك الرسوم. للعودة إلى الممارسة قدّم طلب إعادة تسجيل.",
        "The renewal fee reached us after your registration lapsed, so it renewed nothing; the fee will be "
        "refunded to you. To practise again, apply for reinstatement.",
    ),
    "renewal.renews_until": ("يُجدَّد حتى", "Renews until"),
    "renewal.bill": ("رقم الفاتورة", "Bill number"),
    "renewal.amount": ("المبلغ", "Amount"),
    "renewal.amount_value": ("{amount} ريال", "SAR {amount}"),
    "renewal.due": ("آخر موعد للسداد", "Pay by"),
}
