"""Every word the practitioner portal shows, in Arabic and English, and the advice it gives when a
document is refused.

Templates hold no text of their own: they call `t("key")`. Refusals keep their wording in
`mumaris.errors.MESSAGES` (what went wrong, the API's own message); `ADVICE` adds, for each refusal
of a document, what to do about it in practice. A unit test checks that every key a template uses
is here in both languages, and that every refusal a document can meet has its advice.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from mumaris.web import Words, moment
from services.intake.portal.registration_text import REGISTRATION_TEXT

# key → (Arabic, English). `{name}` placeholders are filled by t("key", name=...).
TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app_title": ("منصة ممارس", "Mumaris platform"),
    "app_subtitle": ("الهيئة السعودية للتخصصات الصحية", "Saudi Commission for Health Specialties"),
    "skip_to_content": ("انتقل إلى المحتوى", "Skip to content"),
    "other_language": ("English", "العربية"),
    "other_language_name": ("التبديل إلى الإنجليزية", "Switch to Arabic"),
    "nav_label": ("القائمة الرئيسية", "Main menu"),
    "nav_profile": ("ملفي", "My profile"),
    "nav_certificates": ("المؤهلات والشهادات", "Qualifications and certificates"),
    "nav_e_services": ("الخدمات الإلكترونية", "E-services"),
    "nav_notifications": ("الإشعارات", "Notifications"),
    "unread_count": ("{n} غير مقروء", "{n} unread"),
    "sign_out": ("تسجيل الخروج", "Sign out"),
    "sign_in": ("تسجيل الدخول", "Sign in"),
    "sign_up": ("إنشاء حساب", "Create an account"),
    "errors_title": ("يرجى تصحيح ما يلي:", "Please correct the following:"),
    "required": ("مطلوب", "required"),
    "cancel": ("إلغاء", "Cancel"),
    "back": ("رجوع", "Back"),
    "none": ("لا يوجد", "None"),
    "riyadh_time": ("{at} بتوقيت الرياض", "{at} Riyadh time"),
    "list_separator": ("، ", ", "),
    # one-off notices after an action (?done=...)
    "done.signed_out": ("تم تسجيل الخروج.", "You have signed out."),
    "done.session_ended": ("انتهت جلسة الدخول؛ سجّل الدخول مرة أخرى.", "Your session has ended; please sign in again."),
    "done.signed_up": (
        "تم إنشاء حسابك. أرسلنا رمز تحقق إلى جوالك.",
        "Your account has been created. We sent a verification code to your mobile.",
    ),
    "done.code_resent": ("أرسلنا رمزاً جديداً إلى جوالك.", "We sent a new code to your mobile."),
    "done.phone_confirmed": (
        "تم تأكيد رقم جوالك. أرسلنا رابط تأكيد إلى بريدك الإلكتروني؛ يمكنك تسجيل الدخول الآن.",
        "Your mobile number is confirmed. We sent a confirmation link to your e-mail; you can sign in now.",
    ),
    "done.phone_unconfirmed": (
        "أكمل تأكيد رقم جوالك أولاً بالرمز المرسل إليك.",
        "First confirm your mobile number with the code we sent you.",
    ),
    "done.password_reset": (
        "تم تعيين كلمة المرور الجديدة وأُنهيت جميع جلسات الدخول السابقة. سجّل الدخول بكلمة المرور الجديدة.",
        "Your new password is set and every earlier sign-in has ended. Sign in with the new password.",
    ),
    "done.submitted": (
        "تم استلام شهادتك وهي الآن قيد المراجعة. نتحقق من المستند آلياً أولاً ثم يقرر المراجع، وستجد النتيجة هنا وفي إشعاراتك.",
        "Your certificate has been received and is now under review. The document is checked automatically "
        "first, then a reviewer decides; you will find the outcome here and in your notifications.",
    ),
    "done.resubmitted": (
        "تم استلام النسخة المعدّلة وهي قيد المراجعة، وتعود إلى المراجع نفسه أولاً.",
        "Your corrected version has been received and is under review; it goes back to the same reviewer first.",
    ),
    "done.change_requested": (
        "أُرسل طلب تعديل بياناتك إلى المراجعة؛ تبقى البيانات الحالية حتى يُعتمد.",
        "Your change has been sent for review; your current details stay until it is approved.",
    ),
    "done.language_saved": ("تم حفظ لغة الرسائل.", "Your language for messages has been saved."),
    "done.requested": (
        "تم استلام طلب تغيير التصنيف. نتحقق من المستندات آلياً ثم تصدر الفاتورة.",
        "Your classification change request has been received. The documents are checked automatically, "
        "then the invoice is issued.",
    ),
    "done.read": ("تم تعليم الإشعار كمقروء.", "The notification is marked as read."),
    # sign-up
    "sign_up_title": ("إنشاء حساب ممارس صحي", "Create a health practitioner account"),
    "sign_up_intro": (
        "أدخل بياناتك كما في هويتك. نرسل رمز تحقق إلى جوالك ثم رابط تأكيد إلى بريدك الإلكتروني.",
        "Enter your details as they appear on your ID. We send a code to your mobile, then a confirmation "
        "link to your e-mail.",
    ),
    "field.first_name": ("الاسم الأول", "First name"),
    "field.last_name": ("اسم العائلة", "Last name"),
    "field.first_name_latin": ("الاسم الأول بالحروف اللاتينية", "First name in Latin letters"),
    "field.last_name_latin": ("اسم العائلة بالحروف اللاتينية", "Last name in Latin letters"),
    "field.latin_name": ("الاسم بالحروف اللاتينية", "Name in Latin letters"),
    "hint.latin_name": (
        "اكتب اسمك أعلاه بالحروف العربية، وهنا بالحروف اللاتينية كما يُكتب في شهاداتك (مثل Sara Al-Harbi)، "
        "ليتعرف الفحص الآلي على اسمك في الشهادات المكتوبة بأي منهما.",
        "Your name above in Arabic letters, and here in Latin letters as your certificates print it "
        "(e.g. Sara Al-Harbi), so the automated check recognises it on certificates in either.",
    ),
    "field.id_kind": ("نوع الهوية", "Type of ID"),
    "id_kind.national_id": ("هوية وطنية", "National ID"),
    "id_kind.iqama": ("إقامة", "Iqama"),
    "field.id_number": ("رقم الهوية الوطنية أو الإقامة", "National ID or iqama number"),
    "hint.id_number": (
        "10 أرقام: تبدأ الهوية الوطنية بالرقم 1 والإقامة بالرقم 2.",
        "10 digits: a national ID starts with 1, an iqama with 2.",
    ),
    "field.email": ("البريد الإلكتروني", "E-mail address"),
    "field.mobile": ("رقم الجوال", "Mobile number"),
    "hint.mobile": ("رقم جوال سعودي مثل 0551234567.", "A Saudi mobile number such as 0551234567."),
    "field.password": ("كلمة المرور", "Password"),
    "hint.password": (
        "10 خانات على الأقل تجمع بين الحروف والأرقام والرموز، دون اسمك أو بريدك أو رقم هويتك.",
        "At least 10 characters mixing letters, digits and symbols, without your name, e-mail or ID number.",
    ),
    "field.password_confirmation": ("تأكيد كلمة المرور", "Confirm the password"),
    "terms_title": ("الشروط والأحكام", "Terms and conditions"),
    "terms_version": ("الإصدار", "Version"),
    "terms_text": (
        "باستخدامك منصة ممارس تقر بأن البيانات والمستندات التي تقدمها صحيحة وتخصك، وتوافق على أن تعالج الهيئة "
        "بياناتك لأغراض التسجيل والتصنيف المهني والتحقق من المؤهلات، وعلى أن تصلك الإشعارات عبر المنصة والبريد "
        "الإلكتروني والرسائل النصية. يُعد تقديم مستند غير صحيح مخالفة تعرض صاحبها للمساءلة.",
        "By using the Mumaris platform you confirm that the details and documents you provide are true and your "
        "own, and you agree that the commission processes your data for registration, professional "
        "classification and the verification of qualifications, and that notices reach you in the platform, by "
        "e-mail and by SMS. Submitting a document that is not genuine is an offence.",
    ),
    "field.accept_terms": ("قرأت الشروط والأحكام وأوافق عليها", "I have read and accept the terms and conditions"),
    "sign_up_button": ("إنشاء الحساب", "Create my account"),
    "have_account": ("لديك حساب؟ سجّل الدخول", "Already have an account? Sign in"),
    # phone code
    "verify_phone_title": ("تأكيد رقم الجوال", "Confirm your mobile number"),
    "code_sent_to": ("أرسلنا رمز تحقق من 6 أرقام إلى الرقم", "We sent a 6-digit code to"),
    "field.code": ("رمز التحقق", "Verification code"),
    "hint.code": ("6 أرقام، صالح لمدة 5 دقائق.", "6 digits, valid for 5 minutes."),
    "code_time_left": ("الوقت المتبقي لصلاحية الرمز:", "Time left on this code:"),
    "code_expired": ("انتهت صلاحية الرمز؛ اطلب رمزاً جديداً.", "This code has expired; ask for a new one."),
    "verify_button": ("تأكيد", "Confirm"),
    "resend_title": ("لم يصلك الرمز؟", "No code?"),
    "resend_button": ("إرسال رمز جديد", "Send a new code"),
    "resend_rule": (
        "يمكن طلب رمز جديد بعد دقيقة من الرمز السابق، وحتى 5 رموز في الساعة.",
        "A new code can be sent a minute after the last one, up to 5 codes an hour.",
    ),
    "resend_wait": ("يمكنك طلب رمز جديد بعد:", "You can ask for a new code in:"),
    "no_pending_sign_up": (
        "لا يوجد حساب بانتظار تأكيد الجوال في هذا المتصفح. سجّل الدخول لمتابعة حسابك أو أنشئ حساباً جديداً.",
        "No account in this browser is waiting for its mobile number to be confirmed. Sign in to carry on, "
        "or create an account.",
    ),
    # e-mail link
    "confirm_email_title": ("تأكيد البريد الإلكتروني", "Confirm your e-mail address"),
    "confirm_email_intro": (
        "اضغط الزر لتأكيد بريدك الإلكتروني وتفعيل حسابك.",
        "Press the button to confirm your e-mail address and activate your account.",
    ),
    "confirm_email_button": ("تأكيد بريدي الإلكتروني", "Confirm my e-mail address"),
    "email_confirmed_title": ("تم تفعيل حسابك", "Your account is active"),
    "email_confirmed_text": (
        "تم تأكيد بريدك الإلكتروني. رقم عضويتك:",
        "Your e-mail address is confirmed. Your membership number:",
    ),
    "continue_to_profile": ("الانتقال إلى ملفي", "Go to my profile"),
    # sign-in
    "sign_in_title": ("تسجيل الدخول", "Sign in"),
    "sign_in_intro": ("سجّل الدخول ببريدك الإلكتروني وكلمة المرور.", "Sign in with your e-mail address and password."),
    "sign_in_button": ("دخول", "Sign in"),
    "forgot_link": ("نسيت كلمة المرور؟", "Forgotten your password?"),
    "no_account": ("ليس لديك حساب؟ أنشئ حساباً", "No account yet? Create one"),
    "locked_wait": ("يمكنك المحاولة مرة أخرى بعد:", "You can try again in:"),
    # forgotten password
    "forgot_title": ("نسيت كلمة المرور", "Forgotten password"),
    "forgot_intro": (
        "أدخل البريد الإلكتروني المسجّل في حسابك وسنرسل إليه رابطاً لاختيار كلمة مرور جديدة.",
        "Enter the e-mail address of your account and we will send it a link to choose a new password.",
    ),
    "forgot_button": ("إرسال الرابط", "Send the link"),
    "forgot_sent_title": ("تحقق من بريدك الإلكتروني", "Check your e-mail"),
    "forgot_sent_text": (
        "إذا كان هذا البريد مسجلاً لدينا فسيصله رابط لإعادة تعيين كلمة المرور، صالح لمدة {minutes} دقيقة ويُستخدم مرة واحدة. "
        "لم يصلك؟ تحقق من مجلد الرسائل غير المرغوبة، أو اطلب رابطاً جديداً بعد دقيقة.",
        "If this address belongs to an account, a password reset link is on its way: valid for {minutes} minutes "
        "and usable once. Nothing arrived? Check your spam folder, or ask again in a minute.",
    ),
    "back_to_sign_in": ("العودة إلى تسجيل الدخول", "Back to sign-in"),
    "reset_title": ("اختيار كلمة مرور جديدة", "Choose a new password"),
    "reset_intro": (
        "بعد حفظ كلمة المرور الجديدة تُنهى جميع جلسات الدخول المفتوحة لحسابك على أي جهاز.",
        "Once the new password is saved, every open sign-in of your account ends, on every device.",
    ),
    "field.new_password": ("كلمة المرور الجديدة", "New password"),
    "reset_button": ("حفظ كلمة المرور", "Save the password"),
    "ask_new_link": ("اطلب رابطاً جديداً", "Ask for a new link"),
    # profile
    "profile_title": ("ملفي المهني", "My professional profile"),
    "personal_data": ("البيانات الشخصية", "Personal details"),
    "field.membership_number": ("رقم العضوية", "Membership number"),
    "field.classification": ("التصنيف المهني", "Professional classification"),
    "no_classification": ("لا يوجد تصنيف بعد", "No classification yet"),
    "membership_pending": ("يصدر بعد تأكيد بريدك الإلكتروني", "Issued once your e-mail is confirmed"),
    "email_unconfirmed_banner": (
        "لم يُؤكَّد بريدك الإلكتروني بعد: افتح الرابط الذي أرسلناه لتفعيل حسابك وتقديم الشهادات. البريد:",
        "Your e-mail address is not confirmed yet: open the link we sent to activate your account "
        "and submit certificates. Address:",
    ),
    "approved_certificates": ("الشهادات المعتمدة", "Approved certificates"),
    "certificate_expired": ("منتهية الصلاحية منذ {on}", "Expired on {on}"),
    "certificate_expires": ("صالحة حتى {on}", "Valid until {on}"),
    "approved_empty": ("لا توجد شهادات معتمدة بعد.", "No approved certificates yet."),
    "open_request": ("لديك طلب تغيير تصنيف قيد المعالجة.", "You have a classification change request in progress."),
    "open_request_link": ("متابعة الطلب", "Follow the request"),
    "pending_change_title": ("طلب تعديل البيانات قيد المراجعة", "Change of details under review"),
    "pending_change_text": (
        "طلبت في {since} تعديل البيانات التالية؛ تبقى البيانات الحالية حتى يُعتمد الطلب.",
        "On {since} you asked to change the details below; your current details stay until it is approved.",
    ),
    "old_value": ("الحالية", "Current"),
    "new_value": ("المطلوبة", "Requested"),
    "change_title": ("تعديل البيانات الشخصية", "Change personal details"),
    "change_intro": (
        "يراجع موظف الهيئة تعديل الاسم ورقم الجوال قبل اعتماده. أما لغة الرسائل فتتغير فوراً.",
        "A commission reviewer checks a new name or mobile number before it applies. Your language for "
        "messages changes at once.",
    ),
    "field.locale": ("لغة الرسائل", "Language for messages"),
    "language.ar": ("العربية", "Arabic"),
    "language.en": ("الإنجليزية", "English"),
    "change_button": ("إرسال التعديل", "Send the change"),
    # certificates
    "certificates_title": ("المؤهلات والشهادات", "Qualifications and certificates"),
    "add_certificate": ("إضافة شهادة جديدة", "Add a new certificate"),
    "certificates_empty": ("لم تضف أي شهادة بعد.", "You have not added a certificate yet."),
    "certificate_title": ("الشهادة", "Certificate"),
    "field.name": ("اسم الشهادة", "Certificate name"),
    "field.obtained_on": ("تاريخ الحصول عليها", "Date obtained"),
    "field.institution": ("الجهة المانحة", "Issuing institution"),
    "field.specialty": ("التخصص", "Specialty"),
    "field.degree": ("الدرجة", "Degree"),
    "field.expires_on": ("تاريخ انتهاء الصلاحية (إن وُجد)", "Expiry date (if it has one)"),
    "hint.expires_on": (
        "لشهادات الدورات التي تنتهي صلاحيتها مثل دعم الحياة الأساسي والمتقدم؛ نذكّرك قبل انتهائها.",
        "For courses that expire, such as BLS and ACLS: we remind you before the date.",
    ),
    "field.file": ("ملف الشهادة", "Certificate file"),
    "field.document": ("الملف المرفق", "Attached file"),
    "hint.file": (
        "ملف PDF أو صورة JPEG، بحجم لا يتجاوز {max_mb} ميغابايت. يجب أن يكون المسح واضحاً ويظهر فيه اسمك وتاريخ الشهادة والجهة المانحة.",
        "A PDF or a JPEG photo, at most {max_mb} MB. The scan must be clear and show your name, the date and "
        "the issuer.",
    ),
    "new_certificate_title": ("إضافة شهادة جديدة", "Add a new certificate"),
    "save_button": ("حفظ وإرسال للمراجعة", "Save and send for review"),
    "uploading": ("جارٍ رفع الملف…", "Uploading the file…"),
    "upload_progress": ("تقدم رفع الملف", "Upload progress"),
    "status_label": ("الحالة", "Status"),
    "timeline_title": ("مراحل الطلب", "Timeline"),
    "why_title": ("لماذا لم يُقبل المستند", "Why the document was not accepted"),
    "what_to_do": ("ما الذي تفعله:", "What to do:"),
    "send_again": ("إرسال الشهادة مرة أخرى", "Send the certificate again"),
    "duplicate_explained": (
        "لا يُقبل المستند نفسه مرتين ما دام أحدهما قيد المراجعة، حتى لا يُراجع مرتين. تابع الطلب الأول؛ بعد البت فيه يمكنك إرسال المستند من جديد إن لزم.",
        "The same document is not accepted twice while one is under review, so that it is not reviewed twice. "
        "Follow the first one; once it is decided you may send the document again if you need to.",
    ),
    "open_pending": ("فتح الطلب قيد المراجعة", "Open the submission under review"),
    "decision_title": ("قرار المراجع", "The reviewer's decision"),
    "reason_codes": ("الأسباب", "Reasons"),
    "reviewer_message": ("رسالة المراجع", "The reviewer's message"),
    "decided.approve": ("اعتُمد في {at}.", "Approved on {at}."),
    "decided.reject": ("لم يُعتمد؛ صدر القرار في {at}.", "Not approved: decided on {at}."),
    "decided.request_changes": ("طلب المراجع تعديلات في {at}.", "The reviewer asked for changes on {at}."),
    "resubmit_button": ("إرسال نسخة معدّلة", "Send a corrected version"),
    "resubmit_title": ("إرسال نسخة معدّلة من الشهادة", "Send a corrected version"),
    "resubmit_intro": (
        "طلب المراجع تعديلات على الإصدار {version}. عدّل البيانات إن لزم وأرفق الملف المصحح؛ يرتبط الإصدار الجديد بالسابق.",
        "The reviewer asked for changes on version {version}. Correct the details if needed and attach the "
        "corrected file; the new version is linked to the earlier one.",
    ),
    "version_n": ("الإصدار {n}", "Version {n}"),
    "previous_version": ("الإصدار السابق", "Previous version"),
    "superseded_by": ("أرسلت نسخة معدّلة من هذه الشهادة.", "You sent a corrected version of this certificate."),
    "open_new_version": ("فتح الإصدار الجديد", "Open the new version"),
    "open": ("فتح", "Open"),
    "details": ("التفاصيل", "Details"),
    # where a submission stands
    "progress.checking": (
        "قيد التحقق الآلي من المستند منذ {since}؛ يستغرق ذلك عادة دقائق.",
        "Automatic document checks since {since}; this usually takes a few minutes.",
    ),
    "progress.in_review": ("قيد المراجعة منذ {since}.", "In review since {since}."),
    "progress.expected_by": ("الموعد المتوقع للقرار: {due}.", "Decision expected by {due}."),
    "progress.validation_failed": (
        "لم يجتز المستند التحقق الآلي في {since}؛ افتحه لمعرفة السبب وما الذي تفعله.",
        "The document did not pass the automatic checks on {since}; open it to see why and what to do.",
    ),
    "progress.approved": ("اعتُمد في {since}.", "Approved on {since}."),
    "progress.rejected": ("لم يُعتمد في {since}.", "Not approved on {since}."),
    "progress.changes_requested": (
        "طلب المراجع تعديلات في {since}: أرسل نسخة معدّلة.",
        "The reviewer asked for changes on {since}: send a corrected version.",
    ),
    "progress.awaiting_payment": (
        "صدرت الفاتورة في {since}: سدّدها قبل انتهاء المهلة.",
        "The invoice was issued on {since}: pay it before the deadline.",
    ),
    "progress.lapsed": (
        "أُلغي الطلب في {since} لعدم سداد الرسوم في المهلة.",
        "The request lapsed on {since}: the fee was not paid in time.",
    ),
    "status.received": ("مستلم", "Received"),
    "status.validated": ("اجتاز التحقق الآلي", "Passed the automatic checks"),
    "status.validating": ("قيد التحقق من المستندات", "Checking the documents"),
    "status.validation_failed": ("لم يجتز التحقق الآلي", "Did not pass the automatic checks"),
    "status.in_review": ("قيد المراجعة", "Under review"),
    "status.approved": ("معتمد", "Approved"),
    "status.rejected": ("غير معتمد", "Not approved"),
    "status.changes_requested": ("مطلوب تعديل", "Changes requested"),
    "status.awaiting_payment": ("بانتظار السداد", "Awaiting payment"),
    "status.fee_expired": ("انتهت مهلة السداد", "Payment deadline passed"),
    "status.lapsed": ("ملغى لعدم السداد", "Lapsed (unpaid)"),
    "status.requested": ("مرسل", "Sent"),
    # notifications
    "notifications_title": ("الإشعارات", "Notifications"),
    "notifications_empty": ("لا توجد إشعارات.", "You have no notifications."),
    "notifications_unavailable": (
        "تعذر عرض الإشعارات الآن؛ حاول بعد قليل.",
        "Your notifications cannot be shown right now; try again shortly.",
    ),
    "unread": ("غير مقروء", "Unread"),
    "mark_read": ("تعليم كمقروء", "Mark as read"),
    "previous_page": ("السابق", "Previous"),
    "next_page": ("التالي", "Next"),
    "page_of": ("الصفحة {page} من {pages}", "Page {page} of {pages}"),
    # e-services and classification
    "e_services_title": ("الخدمات الإلكترونية", "E-services"),
    "change_member_details": (
        "تعديل بيانات العضو: تغيير التصنيف المهني",
        "Change member details: professional classification",
    ),
    "change_member_details_intro": (
        "اطلب الانتقال إلى التصنيف التالي في مهنتك بإرفاق المستندات المطلوبة وسداد الرسوم خلال 24 ساعة من الفاتورة.",
        "Ask to move to the next classification of your profession: attach the documents it requires and pay "
        "the fee within 24 hours of the invoice.",
    ),
    "start": ("بدء الطلب", "Start"),
    "classification_title": ("طلب تغيير التصنيف المهني", "Change of professional classification"),
    "current_classification": ("تصنيفك الحالي", "Your current classification"),
    "choose_target": ("التصنيف المطلوب", "The classification you ask for"),
    "hint.target": (
        "يُسمح بالانتقال درجة واحدة أعلى في مهنتك، أو إلى أول درجة إن لم يكن لديك تصنيف.",
        "You may move one step up your profession's ladder, or to its first step if you have none yet.",
    ),
    "fee_value": ("الرسوم: {amount} ريال", "Fee: SAR {amount}"),
    "continue": ("متابعة", "Continue"),
    "change_target": ("اختيار تصنيف آخر", "Choose another classification"),
    "no_targets": ("لا يوجد تصنيف أعلى يمكن طلبه من تصنيفك الحالي.", "There is no higher classification to ask for."),
    "required_documents": ("المستندات المطلوبة", "Required documents"),
    "required_exams": ("الاختبارات المطلوبة", "Required exams"),
    "no_exams": ("لا يتطلب هذا التصنيف اختبارات.", "This classification requires no exams."),
    "conditions_title": ("الشروط", "Conditions"),
    "field.accept_conditions": ("أوافق على الشروط أعلاه", "I accept the conditions above"),
    "field.target": ("التصنيف المطلوب", "Requested classification"),
    "finish_button": ("إنهاء وإرسال الطلب", "Finish and send the request"),
    "request_open_text": (
        "لديك طلب تغيير تصنيف مفتوح؛ تابعه حتى يُغلق قبل تقديم طلب جديد.",
        "You already have an open classification change request; follow it until it closes before a new one.",
    ),
    "email_needed": (
        "يلزم تأكيد بريدك الإلكتروني قبل استخدام هذه الخدمة؛ افتح الرابط الذي أرسلناه إليك.",
        "Confirm your e-mail address before using this service: open the link we sent you.",
    ),
    "request_title": ("طلب تغيير التصنيف", "Classification change request"),
    "requested_classification": ("التصنيف المطلوب: {label}", "Requested classification: {label}"),
    "document_checks": ("فحص المستندات", "Document checks"),
    "invoice_title": ("الفاتورة", "Invoice"),
    "amount": ("المبلغ", "Amount"),
    "amount_value": ("{amount} ريال سعودي", "SAR {amount}"),
    "bill_number": ("رقم الفاتورة", "Bill number"),
    "pay_by": ("آخر موعد للسداد", "Pay by"),
    "time_left": ("الوقت المتبقي", "Time left"),
    "deadline_passed": ("انتهت مهلة السداد.", "The deadline has passed."),
    "invoice_paid": ("تم السداد.", "Paid."),
    "how_to_pay": (
        "ادفع عبر نظام سداد من تطبيق أو موقع مصرفك: اختر «الهيئة السعودية للتخصصات الصحية» وأدخل رقم الفاتورة. "
        "يُلغى الطلب إذا لم يصلنا السداد خلال 24 ساعة من إصدار الفاتورة.",
        "Pay through SADAD in your bank's app or website: choose “Saudi Commission for Health Specialties” and "
        "enter the bill number. The request lapses if payment does not reach us within 24 hours of the invoice.",
    ),
    "exams_title": ("الاختبارات", "Exams"),
    "exam.passed": ("ناجح", "Passed"),
    "exam.failed": ("لم يجتز", "Not passed"),
    "exam.missing": ("لم تصل النتيجة بعد", "No result yet"),
    "exams_hint": (
        "تصلنا النتائج من مركز الاختبارات مباشرة؛ لا يُعتمد التصنيف قبل اجتياز جميع الاختبارات المطلوبة.",
        "Results reach us from the testing centre directly; the classification is approved only once every "
        "required exam is passed.",
    ),
    "new_classification": ("أصبح تصنيفك المهني: {label}.", "Your professional classification is now: {label}."),
    "my_requests": ("طلباتي السابقة", "My earlier requests"),
    # durations (also filled in by portal.js as they count down)
    "duration.hm": ("{h} ساعة و{m} دقيقة", "{h} h {m} min"),
    "duration.ms": ("{m} دقيقة و{s} ثانية", "{m} min {s} s"),
    "duration.s": ("{s} ثانية", "{s} s"),
    "duration.over": ("انتهى الوقت", "Time is up"),
    # checks in the browser before a file is sent
    "js.file_too_large": (
        "حجم الملف {size} ميغابايت، والحد الأقصى {max_mb} ميغابايت؛ صغّر الملف أو صوّر المستند بدقة أقل.",
        "The file is {size} MB and the limit is {max_mb} MB; make it smaller or photograph the document at a "
        "lower resolution.",
    ),
    "js.file_type": (
        "الملف ليس PDF ولا JPEG؛ احفظه أو صوّره بإحدى هاتين الصيغتين.",
        "The file is neither a PDF nor a JPEG; save or photograph it in one of those formats.",
    ),
    "js.upload_failed": (
        "تعذر إرسال الملف؛ تحقق من اتصالك وحاول مرة أخرى.",
        "The file could not be sent; check your connection and try again.",
    ),
    # errors
    "error_title": ("تعذر تنفيذ الطلب", "This could not be done"),
    "not_found_title": ("الصفحة غير موجودة", "Page not found"),
    "back_home": ("العودة إلى الصفحة الرئيسية", "Back to the home page"),
}
TEXT.update(REGISTRATION_TEXT)  # the registration card and page (registration_text.py)

# What to do when a document is refused, beside the refusal's own message (what went wrong):
# practical steps on a phone, for every refusal a document can meet at intake or in the validator.
ADVICE: dict[str, tuple[str, str]] = {
    "file.missing": ("اختر ملف الشهادة قبل الحفظ.", "Choose the certificate's file before saving."),
    "file.empty": (
        "الملف فارغ؛ افتحه على جهازك للتأكد من أنه المستند الصحيح ثم أرفقه مرة أخرى.",
        "The file is empty: open it on your device to check it is the right document, then attach it again.",
    ),
    "file.too_large": (
        "صوّر المستند بالكاميرا بدقة عادية أو احفظ ملف PDF بحجم أصغر (مسح بدقة 200–300 نقطة في البوصة يكفي).",
        "Photograph the document at normal resolution, or save the PDF smaller (a scan at 200–300 dpi is enough).",
    ),
    "file.unsupported_type": (
        "احفظ المستند بصيغة PDF أو صوّره بصيغة JPEG؛ لا تُقبل صور HEIC أو PNG أو ملفات Word.",
        "Save the document as a PDF or photograph it as a JPEG; HEIC or PNG photos and Word files are not accepted.",
    ),
    "file.corrupt": (
        "افتح الملف على جهازك؛ إن لم يفتح فأعد مسحه أو تصويره ثم أرفق الملف الجديد.",
        "Open the file on your device; if it does not open, scan or photograph the document again and attach the new file.",
    ),
    "file.duplicate_pending": (
        "تابع الطلب الأول حتى يُبت فيه؛ يمكنك بعد ذلك إرسال المستند من جديد إن لزم.",
        "Follow the first submission until it is decided; you may send the document again afterwards if needed.",
    ),
    "file.image_too_large": (
        "صوّر المستند بإعدادات الكاميرا العادية بدلاً من أعلى دقة.",
        "Photograph the document with the camera's normal settings rather than its highest resolution.",
    ),
    "file.pdf_encrypted": (
        "احفظ نسخة من ملف PDF دون كلمة مرور (الطباعة إلى PDF تكفي) ثم أرفقها.",
        "Save a copy of the PDF without a password (printing it to PDF does) and attach that copy.",
    ),
    "file.pdf_page_count": (
        "أرفق ملف PDF يضم صفحات الشهادة فقط، من صفحة واحدة إلى 20 صفحة.",
        "Attach a PDF with the certificate's pages only, from one to 20 pages.",
    ),
    "file.pdf_active_content": (
        "امسح الشهادة الورقية ضوئياً أو اطبع الملف إلى PDF جديد لإزالة النماذج والنصوص البرمجية.",
        "Scan the paper certificate, or print the file to a new PDF, which removes forms and scripts.",
    ),
    "image.too_small": (
        "صوّر المستند كاملاً من قرب بحيث يملأ الإطار، أو امسحه بدقة 200 نقطة في البوصة على الأقل.",
        "Photograph the whole document close up so that it fills the frame, or scan it at 200 dpi or more.",
    ),
    "image.too_dark": (
        "صوّر المستند في ضوء النهار أو قرب نافذة، دون أن يقع ظلك عليه.",
        "Photograph the document in daylight or near a window, without your shadow falling on it.",
    ),
    "image.too_bright": (
        "أطفئ الفلاش وابتعد عن الضوء المباشر، وأمل الهاتف قليلاً لتجنب الوهج.",
        "Turn the flash off, move out of direct light and tilt the phone slightly to avoid glare.",
    ),
    "image.low_contrast": (
        "ضع المستند على سطح داكن في إضاءة جيدة، وامسحه بالألوان أو بتدرج الرمادي لا بالأبيض والأسود الباهت.",
        "Lay the document on a dark surface in good light, and scan it in colour or greyscale, not faded black and white.",
    ),
    "image.blurry": (
        "الصورة غير واضحة: ضع المستند مسطحاً وصوّره في ضوء النهار، وثبّت الهاتف فوقه مباشرة وانتظر حتى تتضح الكتابة قبل الالتقاط.",
        "The photo is blurred: lay the document flat, photograph it in daylight with the phone held still right "
        "above it, and wait for the writing to be sharp before you take it.",
    ),
    "metadata.date_in_future": (
        "أدخل التاريخ المكتوب على الشهادة، وهو لا يكون بعد اليوم.",
        "Enter the date written on the certificate, which cannot be later than today.",
    ),
    "metadata.date_implausible": (
        "تحقق من سنة الحصول على الشهادة كما هي مكتوبة عليها.",
        "Check the year the certificate was obtained, as written on it.",
    ),
    "metadata.expiry_before_obtained": (
        "أدخل تاريخ انتهاء الشهادة كما هو مكتوب عليها، وهو بعد تاريخ الحصول عليها.",
        "Enter the expiry date written on the certificate, which comes after the date it was obtained.",
    ),
    "metadata.field_missing": (
        "املأ الجهة المانحة والتخصص والدرجة كما تظهر على الشهادة.",
        "Fill in the issuer, the specialty and the degree as they appear on the certificate.",
    ),
    "duplicate.pending_file": (
        "هذا الملف نفسه قيد المراجعة في طلب آخر؛ تابع ذلك الطلب.",
        "This same file is under review in another submission: follow that one.",
    ),
    "duplicate.pending_certificate": (
        "شهادة بالاسم والجهة والتاريخ أنفسها قيد المراجعة؛ تابع ذلك الطلب.",
        "A certificate with the same name, issuer and date is under review: follow that one.",
    ),
    "duplicate.pending_page": (
        "مستند مطابق لهذا قيد المراجعة؛ تابع ذلك الطلب.",
        "A document matching this one is under review: follow that one.",
    ),
}

# Refusals that mean "this is already under review": the page explains why and links to it.
DUPLICATE_CODES = frozenset(
    {"file.duplicate_pending", "duplicate.pending_file", "duplicate.pending_certificate", "duplicate.pending_page"}
)


@dataclass(frozen=True)
class PortalWords(Words):
    """The portal's words in one language, and how it writes what is left of a time."""

    table: Mapping[str, tuple[str, str]] = field(default_factory=lambda: TEXT)

    def advice(self, code: str) -> str | None:
        pair = ADVICE.get(code)
        return None if pair is None else (pair[0] if self.lang == "ar" else pair[1])

    def field_error(self, name: str, code: str) -> tuple[str, str | None]:
        """A refusal beside a field, and what to do about it: the field's own wording where the
        general one would name another thing (an activity's date is not a certificate's), else
        the refusal's message with its advice."""
        own = f"error.{name}.{code}"
        if own in self.table:
            return self(own), None
        return self.error(code), self.advice(code)

    def riyadh(self, value: datetime | str | None) -> Markup:
        return self("riyadh_time", at=moment(value))

    def left(self, seconds: int) -> str:
        """What is left of a deadline or a wait: hours and minutes, or minutes and seconds."""
        if seconds <= 0:
            return self("duration.over")
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            return self("duration.hm", h=hours, m=minutes)
        if minutes:
            return self("duration.ms", m=minutes, s=secs)
        return self("duration.s", s=secs)
