"""The words of every notification, in Arabic and English: the one place to change what we say.

The rules (rules.py) pick a kind's wording and fill its {placeholders}; the templates only lay it
out. Lines are kept whole, however long: a message reads better whole than cut at column 120.
"""

from dataclasses import dataclass

from services.notifier.messages import kinds
from services.notifier.messages.kinds import Language


@dataclass(frozen=True)
class Wording:
    """The sentences of one kind of notification in one language."""

    title: str
    lead: str
    next_step: str
    details_heading: str = ""
    # Heads the reviewer's note when it follows a list (the rejection reasons) under details_heading.
    note_heading: str = ""
    reference_label: str = ""  # instead of the common "Submission ID:" (e.g. "Request ID:")


@dataclass(frozen=True)
class CommonWording:
    """The sentences every notification shares in one language."""

    greeting: str  # takes {name}
    greeting_without_name: str
    reference_label: str
    sign_off: str
    signature: str
    automated_notice: str
    unexplained_finding: str  # takes {rule}; for a failed check that carries no message
    unexplained_rejection: str  # for a rejection that names no failed check at all
    measured: str  # takes {detail}: what the check measured (schemas/findings.py), after its message


WORDING: dict[str, dict[Language, Wording]] = {
    kinds.SUBMISSION_REJECTED: {
        "ar": Wording(
            title="طلبك يحتاج إلى تصحيح",
            lead="تعذّر قبول طلبك في مرحلة التحقق الآلي من المستندات، ولذلك لم يُحَل إلى المراجعة.",
            details_heading="المطلوب تصحيحه:",
            next_step="يُرجى تصحيح الملاحظات أعلاه وإعادة تقديم الطلب عبر المنصة.",
        ),
        "en": Wording(
            title="Your submission needs corrections",
            lead="Your submission did not pass the automated document checks, so it has not been sent for review.",
            details_heading="What to fix:",
            next_step="Please correct the points above and submit again through the platform.",
        ),
    },
    kinds.REVIEW_APPROVED: {
        "ar": Wording(
            title="تم اعتماد طلبك",
            lead="يسرّنا إبلاغك بأنه تمت مراجعة طلبك واعتماده.",
            next_step="ستظهر الشهادة المعتمدة في ملفك المهني على المنصة.",
        ),
        "en": Wording(
            title="Your submission has been approved",
            lead="We are pleased to let you know that your submission has been reviewed and approved.",
            next_step="The approved certificate now appears in your professional profile on the platform.",
        ),
    },
    kinds.REVIEW_REJECTED: {
        "ar": Wording(
            title="لم تتم الموافقة على طلبك",
            lead="نأسف لإبلاغك بأنه بعد مراجعة طلبك لم تتم الموافقة عليه.",
            details_heading="سبب القرار:",
            note_heading="ملاحظة المراجع:",
            next_step="يمكنك تقديم طلب جديد متى استوفيت المتطلبات.",
        ),
        "en": Wording(
            title="Your submission was not approved",
            lead="We regret to inform you that, after review, your submission was not approved.",
            details_heading="Reason for the decision:",
            note_heading="Reviewer’s note:",
            next_step="You may submit a new request once you meet the requirements.",
        ),
    },
    kinds.REVIEW_CHANGES_REQUESTED: {
        "ar": Wording(
            title="مطلوب إجراء تعديلات على طلبك",
            lead="تمت مراجعة طلبك، ويلزم إجراء بعض التعديلات عليه قبل استكمال دراسته.",
            details_heading="التعديلات المطلوبة:",
            next_step=(
                "يُرجى إجراء التعديلات المطلوبة ثم إعادة التقديم من صفحة هذا الطلب على المنصة؛ "
                "وستُراجَع النسخة المعدّلة مرتبطةً بهذا الطلب."
            ),
        ),
        "en": Wording(
            title="Changes requested on your submission",
            lead="Your submission has been reviewed and needs some changes before the review can be completed.",
            details_heading="Requested changes:",
            next_step=(
                "Please make the requested changes, then resubmit from this submission’s page on the platform; "
                "the corrected version will be reviewed linked to this submission."
            ),
        ),
    },
    kinds.SUBMISSION_RECEIVED: {
        "ar": Wording(
            title="استلمنا طلبك",
            lead="استلمنا شهادتك «{certificate}»، وهي الآن قيد التحقق الآلي من المستند.",
            next_step="سنبلغك بنتيجة التحقق، ويمكنك متابعة حالة الطلب من المنصة في أي وقت.",
        ),
        "en": Wording(
            title="We received your submission",
            lead="We received your certificate “{certificate}”; its document is now being checked automatically.",
            next_step="We will let you know the outcome; you can follow the submission’s status on the platform at any time.",
        ),
    },
    kinds.REVIEW_QUEUED: {
        "ar": Wording(
            title="طلبك قيد المراجعة",
            lead="اجتاز مستندك التحقق الآلي، وأُحيل طلبك إلى لجنة المراجعة.",
            next_step="ستصلك رسالة عند صدور القرار.",
        ),
        "en": Wording(
            title="Your submission is under review",
            lead="Your document passed the automated checks and your submission is now with the review committee.",
            next_step="You will hear from us when a decision is made.",
        ),
    },
    kinds.PROFILE_CHANGE_APPROVED: {
        "ar": Wording(
            title="تم اعتماد تعديل بياناتك",
            lead="تمت مراجعة طلب تعديل بياناتك الشخصية واعتماده، وأصبحت البيانات الجديدة سارية.",
            reference_label="رقم طلب التعديل:",
            next_step="يمكنك الاطلاع على بياناتك المحدّثة في ملفك على المنصة.",
        ),
        "en": Wording(
            title="Your change of personal data was approved",
            lead="Your request to change your personal data was reviewed and approved; the new details now apply.",
            reference_label="Change request ID:",
            next_step="You can see your updated details in your profile on the platform.",
        ),
    },
    kinds.PROFILE_CHANGE_REJECTED: {
        "ar": Wording(
            title="لم يُعتمد تعديل بياناتك",
            lead="تمت مراجعة طلب تعديل بياناتك الشخصية ولم يُعتمد، وتبقى بياناتك السابقة سارية.",
            reference_label="رقم طلب التعديل:",
            details_heading="ملاحظة المراجع:",
            next_step="يمكنك تقديم طلب تعديل جديد بعد مراعاة الملاحظة أعلاه.",
        ),
        "en": Wording(
            title="Your change of personal data was not approved",
            lead="Your request to change your personal data was reviewed and not approved; your previous details still apply.",
            reference_label="Change request ID:",
            details_heading="Reviewer’s note:",
            next_step="You may send a new change request that takes the note above into account.",
        ),
    },
    kinds.FEE_INVOICED: {
        "ar": Wording(
            title="فاتورة رسوم طلب تغيير التصنيف",
            lead="اجتازت مستندات طلبك لتغيير التصنيف المهني إلى «{classification}» التحقق، وصدرت فاتورة رسومه.",
            reference_label="رقم الطلب:",
            next_step="يجب سداد الرسوم برقم الفاتورة قبل الموعد المحدد أعلاه، وإلا أُلغي الطلب تلقائياً. بعد السداد يُحال طلبك إلى المراجعة.",
        ),
        "en": Wording(
            title="Fee invoice for your classification change",
            lead="The documents of your request to change your professional classification to “{classification}” passed the checks, and its fee has been invoiced.",
            reference_label="Request ID:",
            next_step="Pay the fee with the bill number before the deadline above, or the request lapses automatically. Once paid, your request goes to review.",
        ),
    },
    kinds.FEE_REMINDER: {
        "ar": Wording(
            title="تذكير: رسوم طلب تغيير التصنيف لم تُسدد",
            lead="لم نستلم بعدُ سداد رسوم طلبك لتغيير التصنيف إلى «{classification}»، وتبقّى على انتهاء المهلة {remaining}.",
            reference_label="رقم الطلب:",
            next_step="سدّد الرسوم برقم الفاتورة قبل الموعد أعلاه حتى لا يُلغى الطلب. إن كنت قد سددت فتجاهل هذه الرسالة.",
        ),
        "en": Wording(
            title="Reminder: your classification fee is unpaid",
            lead="We have not yet received the fee for your request to change your classification to “{classification}”; {remaining} remain before the deadline.",
            reference_label="Request ID:",
            next_step="Pay with the bill number before the deadline above so that the request does not lapse. If you have already paid, please ignore this message.",
        ),
    },
    kinds.CLASSIFICATION_LAPSED: {
        "ar": Wording(
            title="أُلغي طلب تغيير التصنيف",
            lead="انتهت مهلة سداد رسوم طلبك لتغيير التصنيف إلى «{classification}» دون سداد، فأُلغي الطلب.",
            reference_label="رقم الطلب:",
            next_step="يمكنك تقديم طلب جديد متى شئت، وستصدر له فاتورة جديدة.",
        ),
        "en": Wording(
            title="Your classification change request lapsed",
            lead="The fee for your request to change your classification to “{classification}” was not paid by the deadline, so the request has lapsed.",
            reference_label="Request ID:",
            next_step="You may file a new request at any time; it will receive a new invoice.",
        ),
    },
    kinds.CLASSIFICATION_CHANGED: {
        "ar": Wording(
            title="تم تغيير تصنيفك المهني",
            lead="تمت الموافقة على طلبك، وأصبح تصنيفك المهني «{classification}».",
            reference_label="رقم الطلب:",
            next_step="يظهر تصنيفك الجديد في ملفك المهني على المنصة، وأُبلغت به الجهات المرتبطة.",
        ),
        "en": Wording(
            title="Your professional classification has changed",
            lead="Your request was approved: your professional classification is now “{classification}”.",
            reference_label="Request ID:",
            next_step="Your new classification appears in your professional profile on the platform and has been shared with connected agencies.",
        ),
    },
    kinds.RENEWAL_INVOICED: {
        "ar": Wording(
            title="فاتورة رسوم تجديد التسجيل المهني",
            lead="استلمنا طلبك لتجديد تسجيلك المهني، وصدرت فاتورة رسوم التجديد.",
            reference_label="رقم الطلب:",
            next_step="سدّد الرسوم برقم الفاتورة قبل الموعد المحدد أعلاه، وإلا أُلغي طلب التجديد. بعد السداد يُجدَّد تسجيلك سنتين من تاريخ انتهائه الحالي.",
        ),
        "en": Wording(
            title="Fee invoice for your registration renewal",
            lead="We received your request to renew your professional registration, and its renewal fee has been invoiced.",
            reference_label="Request ID:",
            next_step="Pay the fee with the bill number before the deadline above, or the renewal request lapses. Once paid, your registration runs two more years from its current expiry.",
        ),
    },
    kinds.RENEWAL_FEE_REMINDER: {
        "ar": Wording(
            title="تذكير: رسوم تجديد التسجيل لم تُسدد",
            lead="لم نستلم بعدُ سداد رسوم تجديد تسجيلك المهني، وتبقّى على انتهاء المهلة {remaining}.",
            reference_label="رقم الطلب:",
            next_step="سدّد الرسوم برقم الفاتورة قبل الموعد أعلاه حتى لا يُلغى طلب التجديد. إن كنت قد سددت فتجاهل هذه الرسالة.",
        ),
        "en": Wording(
            title="Reminder: your renewal fee is unpaid",
            lead="We have not yet received the fee for renewing your professional registration; {remaining} remain before the deadline.",
            reference_label="Request ID:",
            next_step="Pay with the bill number before the deadline above so that the renewal request does not lapse. If you have already paid, please ignore this message.",
        ),
    },
    kinds.RENEWAL_LAPSED: {
        "ar": Wording(
            title="أُلغي طلب تجديد التسجيل",
            lead="انتهت مهلة سداد رسوم تجديد تسجيلك المهني (الفاتورة {bill}) دون سداد، فأُلغي طلب التجديد.",
            reference_label="رقم الطلب:",
            next_step="يمكنك تقديم طلب تجديد جديد ما دام التجديد متاحاً، وستصدر له فاتورة جديدة.",
        ),
        "en": Wording(
            title="Your registration renewal request lapsed",
            lead="The renewal fee for your professional registration (bill {bill}) was not paid by the deadline, so the renewal request has lapsed.",
            reference_label="Request ID:",
            next_step="You may ask to renew again while renewal is open; the new request gets a new invoice.",
        ),
    },
    kinds.RENEWAL_REFUSED: {
        "ar": Wording(
            title="لم يُجدَّد تسجيلك المهني، وستُعاد رسوم التجديد",
            lead="وصلت رسوم تجديد تسجيلك المهني رقم {registration} (الفاتورة {bill}) بعد سقوط التسجيل، فلم يُجدَّد، وستُعاد إليك الرسوم.",
            reference_label="رقم التسجيل:",
            next_step="للعودة إلى الممارسة قدّم طلب إعادة تسجيل، وتتولى الهيئة دراسته.",
        ),
        "en": Wording(
            title="Your registration was not renewed; the renewal fee will be refunded",
            lead="The renewal fee for your professional registration {registration} (bill {bill}) reached us after the registration had lapsed, so it renewed nothing; the fee will be refunded to you.",
            reference_label="Registration number:",
            next_step="To practise again, apply for reinstatement; the commission will review your application.",
        ),
    },
    kinds.REGISTRATION_EXPIRING: {
        "ar": Wording(
            title="تذكير: ينتهي تسجيلك المهني قريباً",
            lead="ينتهي تسجيلك المهني رقم {registration} في {expires} (بعد {remaining}).",
            reference_label="رقم التسجيل:",
            next_step="{renewal} يتطلب التجديد استيفاء ساعات التطوير المهني المستمر للدورة وسداد رسوم التجديد.",
        ),
        "en": Wording(
            title="Reminder: your professional registration expires soon",
            lead="Your professional registration {registration} expires on {expires} (in {remaining}).",
            reference_label="Registration number:",
            next_step="{renewal} Renewal needs the cycle's continuing professional development hours and the renewal fee.",
        ),
    },
    kinds.CERTIFICATE_EXPIRING: {
        "ar": Wording(
            title="تذكير: تنتهي صلاحية شهادتك",
            lead="تنتهي صلاحية شهادتك «{certificate}» في {expires} ({remaining})، ولا تُعدّ سارية من ذلك اليوم.",
            reference_label="رقم الشهادة:",
            next_step="جدّد الشهادة لدى الجهة التي أصدرتها، ثم أضف الشهادة الجديدة إلى ملفك في المنصة لتُراجَع.",
        ),
        "en": Wording(
            title="Reminder: your certificate is expiring",
            lead="Your certificate “{certificate}” expires on {expires} ({remaining}); from that day it is no longer valid.",
            reference_label="Certificate ID:",
            next_step="Renew it with the institution that issued it, then add the new certificate to your profile on the platform for review.",
        ),
    },
    kinds.REGISTRATION_RENEWED: {
        "ar": Wording(
            title="تم تجديد تسجيلك المهني",
            lead="استلمنا رسوم التجديد، وجُدِّد تسجيلك المهني رقم {registration} حتى {expires}.",
            reference_label="رقم التسجيل:",
            next_step="تبدأ دورة تطوير مهني جديدة من تاريخ انتهاء التسجيل السابق؛ تابع ساعاتك من ملفك في المنصة.",
        ),
        "en": Wording(
            title="Your professional registration has been renewed",
            lead="We received the renewal fee: your professional registration {registration} now runs until {expires}.",
            reference_label="Registration number:",
            next_step="A new CPD cycle starts from the previous expiry date; follow your hours from your profile on the platform.",
        ),
    },
    kinds.REGISTRATION_LAPSED: {
        "ar": Wording(
            title="سقط تسجيلك المهني",
            lead="انتهى تسجيلك المهني رقم {registration} في {expires} ولم يُجدَّد خلال فترة السماح، فسقط التسجيل.",
            reference_label="رقم التسجيل:",
            next_step="لا يجوز لك ممارسة المهنة حتى يُعاد تسجيلك؛ تواصل مع الهيئة لإعادة التسجيل.",
        ),
        "en": Wording(
            title="Your professional registration has lapsed",
            lead="Your professional registration {registration} expired on {expires} and was not renewed within the grace period, so it has lapsed.",
            reference_label="Registration number:",
            next_step="You may not practise until you are registered again; contact the commission to register again.",
        ),
    },
    # The supervisor's reason is shown as she wrote it, under details_heading (inbox and e-mail only).
    kinds.REGISTRATION_SUSPENDED: {
        "ar": Wording(
            title="أُوقف تسجيلك المهني",
            lead="أوقفت الهيئة تسجيلك المهني رقم {registration}. لا يجوز لك ممارسة المهنة طوال مدة الإيقاف.",
            details_heading="سبب الإيقاف:",
            reference_label="رقم التسجيل:",
            next_step="إن كان لديك ما يوضح الأمر أو أردت مراجعة القرار، تواصل مع الهيئة واذكر رقم تسجيلك؛ وسنبلغك حين يُرفع الإيقاف.",
        ),
        "en": Wording(
            title="Your professional registration has been suspended",
            lead="The commission has suspended your professional registration {registration}. You may not practise while it is suspended.",
            details_heading="Reason for the suspension:",
            reference_label="Registration number:",
            next_step="To explain or to ask for the decision to be reviewed, contact the commission and quote your registration number; we will tell you when the suspension is lifted.",
        ),
    },
    kinds.REGISTRATION_REINSTATED: {
        "ar": Wording(
            title="رُفع الإيقاف عن تسجيلك المهني",
            lead="رفعت الهيئة الإيقاف عن تسجيلك المهني رقم {registration}، فعاد إلى حالته قبل الإيقاف، ويجوز لك ممارسة المهنة من جديد.",
            details_heading="سبب رفع الإيقاف:",
            reference_label="رقم التسجيل:",
            next_step="عادت مواعيد تسجيلك تسري كما كانت: راجع حالته وتاريخ انتهائه في المنصة، وجدّده في موعده.",
        ),
        "en": Wording(
            title="The suspension of your professional registration has been lifted",
            lead="The commission has lifted the suspension of your professional registration {registration}: it returns to the status it had before, and you may practise again.",
            details_heading="Reason for lifting the suspension:",
            reference_label="Registration number:",
            next_step="Your registration's dates run again as before: see its status and expiry date on the platform, and renew it in time.",
        ),
    },
    # The confirmation link takes the place of the submission reference (see
    # notification_for_email_confirmation); `next_step` takes {validity}.
    kinds.ACCOUNT_EMAIL_CONFIRMATION: {
        "ar": Wording(
            title="تأكيد بريدك الإلكتروني",
            lead="لإكمال تسجيل حسابك في منصة ممارس، يُرجى تأكيد بريدك الإلكتروني بفتح الرابط التالي.",
            details_heading="رابط التأكيد:",
            next_step=(
                "الرابط صالح لمدة {validity} ويُستخدم مرة واحدة فقط. "
                "إذا لم تطلب إنشاء حساب في منصة ممارس فتجاهل هذه الرسالة."
            ),
        ),
        "en": Wording(
            title="Confirm your e-mail address",
            lead="To finish setting up your Mumaris account, please confirm your e-mail address by opening the link below.",
            details_heading="Confirmation link:",
            next_step=(
                "The link is valid for {validity} and can be used only once. "
                "If you did not sign up for Mumaris, you can ignore this message."
            ),
        ),
    },
    # The reset link takes the place of the reference, as the confirmation link does; `next_step`
    # takes {validity}.
    kinds.ACCOUNT_PASSWORD_RESET: {
        "ar": Wording(
            title="إعادة تعيين كلمة المرور",
            lead="طُلبت إعادة تعيين كلمة المرور لحسابك في منصة ممارس. لاختيار كلمة مرور جديدة افتح الرابط التالي.",
            details_heading="رابط إعادة التعيين:",
            next_step=(
                "الرابط صالح لمدة {validity} ويُستخدم مرة واحدة فقط، وتُنهى بعده جميع جلسات الدخول المفتوحة لحسابك. "
                "إذا لم تطلب ذلك فتجاهل هذه الرسالة؛ تبقى كلمة مرورك الحالية كما هي."
            ),
        ),
        "en": Wording(
            title="Reset your password",
            lead="Someone asked to reset the password of your Mumaris account. To choose a new password, open the link below.",
            details_heading="Reset link:",
            next_step=(
                "The link is valid for {validity} and can be used only once; every open sign-in of your account ends when it is used. "
                "If you did not ask for this, ignore this message: your current password stays as it is."
            ),
        ),
    },
}

# One SMS, both languages, primary first. Short on purpose: Arabic text goes out as UCS-2, where a
# segment holds 70 characters (67 when concatenated); both languages together fit in two segments.
# Each line takes {code} and {validity}.
PHONE_CODE_SMS: dict[Language, str] = {
    "ar": "رمز التحقق لمنصة ممارس: {code} (صالح {validity}). لا تشاركه مع أحد.",
    "en": "Mumaris verification code: {code} (valid {validity}). Do not share it.",
}

# The SMS short notice of a kind, both languages, primary first: it points to the platform and
# the e-mail for the details. Placeholders as in the kind's wording.
SMS_NOTICE: dict[str, dict[Language, str]] = {
    kinds.REVIEW_APPROVED: {
        "ar": "ممارس: تم اعتماد طلبك «{certificate}». التفاصيل في المنصة.",
        "en": "Mumaris: your submission “{certificate}” was approved. Details on the platform.",
    },
    kinds.REVIEW_REJECTED: {
        "ar": "ممارس: لم تتم الموافقة على طلبك «{certificate}». السبب في المنصة وبريدك.",
        "en": "Mumaris: your submission “{certificate}” was not approved. See the platform or your e-mail.",
    },
    kinds.REVIEW_CHANGES_REQUESTED: {
        "ar": "ممارس: طُلب تعديل على طلبك «{certificate}». التفاصيل في المنصة.",
        "en": "Mumaris: changes were requested on “{certificate}”. Details on the platform.",
    },
    kinds.FEE_INVOICED: {
        "ar": "ممارس: سدّد {amount} ريال بالفاتورة {bill} قبل {deadline} وإلا أُلغي طلب التصنيف.",
        "en": "Mumaris: pay SAR {amount}, bill {bill}, before {deadline} or your request lapses.",
    },
    kinds.FEE_REMINDER: {
        "ar": "ممارس: تذكير: تبقّى {remaining} لسداد {amount} ريال بالفاتورة {bill}.",
        "en": "Mumaris: reminder: {remaining} left to pay SAR {amount}, bill {bill}.",
    },
    kinds.CLASSIFICATION_LAPSED: {
        "ar": "ممارس: أُلغي طلب تغيير التصنيف لعدم سداد الرسوم في المهلة.",
        "en": "Mumaris: your classification request lapsed; the fee was not paid in time.",
    },
    kinds.CLASSIFICATION_CHANGED: {
        "ar": "ممارس: أصبح تصنيفك المهني «{classification}».",
        "en": "Mumaris: your professional classification is now “{classification}”.",
    },
    kinds.RENEWAL_INVOICED: {
        "ar": "ممارس: سدّد {amount} ريال بالفاتورة {bill} قبل {deadline} لتجديد تسجيلك المهني.",
        "en": "Mumaris: pay SAR {amount}, bill {bill}, before {deadline} to renew your registration.",
    },
    kinds.RENEWAL_FEE_REMINDER: {
        "ar": "ممارس: تذكير: تبقّى {remaining} لسداد رسوم تجديد تسجيلك، الفاتورة {bill}.",
        "en": "Mumaris: reminder: {remaining} left to pay your renewal fee, bill {bill}.",
    },
    kinds.RENEWAL_LAPSED: {
        "ar": "ممارس: أُلغي طلب تجديد تسجيلك لعدم سداد الرسوم في المهلة. يمكنك طلب التجديد مجدداً.",
        "en": "Mumaris: your renewal request lapsed; the fee was not paid in time. You may ask again.",
    },
    kinds.RENEWAL_REFUSED: {
        "ar": "ممارس: وصلت رسوم تجديد تسجيلك {registration} بعد سقوطه فلم يُجدَّد، وستُعاد إليك الرسوم.",
        "en": "Mumaris: your renewal fee for {registration} arrived after it lapsed; nothing was renewed and it will be refunded.",
    },
    kinds.REGISTRATION_EXPIRING: {
        "ar": "ممارس: ينتهي تسجيلك المهني {registration} في {expires}. جدّده من المنصة.",
        "en": "Mumaris: your registration {registration} expires on {expires}. Renew it on the platform.",
    },
    kinds.CERTIFICATE_EXPIRING: {
        "ar": "ممارس: تنتهي صلاحية شهادتك «{certificate}» في {expires}. جدّدها وأضف الجديدة في المنصة.",
        "en": "Mumaris: your certificate “{certificate}” expires on {expires}. Renew it and add the new one on the platform.",
    },
    kinds.REGISTRATION_LAPSED: {
        "ar": "ممارس: سقط تسجيلك المهني {registration} لعدم تجديده. لا تمارس المهنة حتى يُعاد تسجيلك.",
        "en": "Mumaris: your registration {registration} has lapsed. Do not practise until registered again.",
    },
    # No reason in an SMS: it is read on a lock screen. The inbox has it.
    kinds.REGISTRATION_SUSPENDED: {
        "ar": "ممارس: أُوقف تسجيلك المهني {registration}. لا تمارس المهنة خلال الإيقاف. التفاصيل في صندوق رسائلك.",
        "en": "Mumaris: your registration {registration} is suspended. Do not practise while suspended. See your inbox.",
    },
    kinds.REGISTRATION_REINSTATED: {
        "ar": "ممارس: رُفع الإيقاف عن تسجيلك المهني {registration}، ويجوز لك ممارسة المهنة. التفاصيل في صندوق رسائلك.",
        "en": "Mumaris: the suspension of your registration {registration} is lifted; you may practise again. See your inbox.",
    },
}

COMMON_WORDING: dict[Language, CommonWording] = {
    "ar": CommonWording(
        greeting="حضرة الممارس الصحي {name}،",
        greeting_without_name="حضرة الممارس الصحي،",
        reference_label="رقم الطلب:",
        sign_off="مع أطيب التحيات،",
        signature="فريق منصة ممارس",
        automated_notice="هذه رسالة آلية، يُرجى عدم الرد عليها.",
        unexplained_finding="لم يجتز المستند فحص «{rule}».",
        unexplained_rejection="لم يستوفِ المستند متطلبات التحقق الآلي.",
        measured="القياس: {detail}.",
    ),
    "en": CommonWording(
        greeting="Dear {name},",
        greeting_without_name="Dear practitioner,",
        reference_label="Submission ID:",
        sign_off="Kind regards,",
        signature="The Mumaris team",
        automated_notice="This is an automated message; please do not reply to it.",
        unexplained_finding="The document did not pass the “{rule}” check.",
        unexplained_rejection="The document did not meet the automated checks.",
        measured="Measured: {detail}.",
    ),
}


FEE_FACT_LABELS: dict[Language, tuple[str, str, str]] = {
    "ar": ("المبلغ:", "رقم الفاتورة:", "آخر موعد للسداد:"),
    "en": ("Amount:", "Bill number:", "Pay by:"),
}
CURRENCY: dict[Language, str] = {"ar": "{amount} ريال سعودي", "en": "SAR {amount}"}

# singular, dual, plural (3 to 10); 11 and above take the singular.
ARABIC_UNITS: dict[str, tuple[str, str, str]] = {
    "minute": ("دقيقة", "دقيقتين", "دقائق"),
    "hour": ("ساعة", "ساعتين", "ساعات"),
    "day": ("يوم", "يومين", "أيام"),
}

# Whether a registration's renewal is open when it is reminded of its expiry.
RENEWAL_OPEN_NOTE: dict[bool, dict[str, str]] = {
    True: {"ar": "التجديد متاح الآن من المنصة.", "en": "Renewal is open now on the platform."},
    False: {
        "ar": "يُفتح التجديد قبل انتهاء التسجيل بمدة محددة، وسنذكّرك حينها.",
        "en": "Renewal opens a set time before expiry; we will remind you then.",
    },
}

# How far a certificate's expiry is, in its reminder: "in 7 days", or on the day itself "today".
CERTIFICATE_REMAINING: dict[Language, tuple[str, str]] = {
    "ar": ("بعد {duration}", "اليوم"),
    "en": ("in {duration}", "today"),
}
