"""Stable machine codes with Arabic and English messages: the one catalogue of what we tell people.

HTTP errors and validation findings both use it. A code never changes meaning once published.
"""

from dataclasses import dataclass
from typing import Any

from schemas.events import Localized

MESSAGES: dict[str, tuple[str, str]] = {
    # request
    "request.invalid": (
        "الطلب غير مكتمل أو يحتوي على بيانات غير صحيحة.",
        "The request is incomplete or has invalid data.",
    ),
    "request.metadata_invalid": ("بيانات الشهادة غير صحيحة.", "The certificate details are not valid."),
    "request.too_large": ("حجم الطلب يتجاوز الحد المسموح.", "The request body is larger than allowed."),
    # a field of a form in the practitioner's portal (services/intake/portal/)
    "form.field_missing": ("هذا الحقل مطلوب.", "This field is required."),
    "form.field_invalid": (
        "القيمة المدخلة غير صحيحة؛ تحقق من طولها وصيغتها.",
        "The value entered is not valid; check its length and form.",
    ),
    "form.date_invalid": ("أدخل تاريخاً صحيحاً.", "Enter a valid date."),
    "auth.required": ("يلزم تسجيل الدخول.", "You need to sign in."),
    "auth.invalid_token": ("رمز الدخول غير صالح أو منتهي.", "The sign-in token is invalid or has expired."),
    "auth.forbidden": ("ليست لديك صلاحية لهذا الإجراء.", "You are not allowed to do this."),
    "auth.session_revoked": (
        "انتهت جلسة الدخول هذه؛ سجّل الدخول مرة أخرى.",
        "This sign-in session has ended; sign in again.",
    ),
    "not_found": ("العنصر المطلوب غير موجود.", "The requested item does not exist."),
    "service.unavailable": (
        "الخدمة غير متاحة مؤقتاً، حاول لاحقاً.",
        "The service is temporarily unavailable; try again later.",
    ),
    # files
    "file.missing": ("لم يتم إرفاق ملف.", "No file was attached."),
    "file.empty": ("الملف المرفق فارغ.", "The attached file is empty."),
    "file.too_large": ("حجم الملف يتجاوز الحد المسموح.", "The file is larger than the allowed size."),
    "file.unsupported_type": (
        "نوع الملف غير مدعوم؛ أرفق ملف PDF أو JPEG.",
        "This file type is not accepted; attach a PDF or a JPEG.",
    ),
    "file.corrupt": ("الملف تالف أو لا يمكن قراءته.", "The file is damaged or cannot be read."),
    "file.duplicate_pending": (
        "أرسلت هذا الملف من قبل وهو قيد المراجعة.",
        "You already sent this file and it is under review.",
    ),
    "file.image_too_large": (
        "أبعاد الصورة تتجاوز الحد المسموح؛ أرفق صورة بدقة أقل.",
        "The image dimensions exceed the allowed limit; attach a lower-resolution image.",
    ),
    "file.pdf_encrypted": (
        "ملف PDF محمي بكلمة مرور أو مشفر؛ أرفق نسخة غير محمية.",
        "The PDF is password-protected or encrypted; attach an unprotected copy.",
    ),
    "file.pdf_page_count": (
        "عدد صفحات ملف PDF غير مقبول؛ يجب ألا يقل عن صفحة واحدة وألا يتجاوز الحد المسموح.",
        "The PDF has an unacceptable number of pages: it needs at least one page and no more than the allowed maximum.",
    ),
    "file.pdf_active_content": (
        "يحتوي ملف PDF على نصوص برمجية أو ملفات مضمنة أو إجراءات تلقائية، وهذا غير مسموح.",
        "The PDF contains scripts, embedded files or automatic actions, which are not allowed.",
    ),
    # image clarity (a JPEG, or the first page of a scanned PDF)
    "image.too_small": (
        "دقة الصورة منخفضة جداً؛ أرفق مسحاً ضوئياً أو صورة بدقة أعلى.",
        "The image resolution is too low; attach a scan or photo with a higher resolution.",
    ),
    "image.too_dark": (
        "الصورة داكنة جداً؛ أعد تصوير المستند في إضاءة أفضل.",
        "The image is too dark; photograph the document again in better light.",
    ),
    "image.too_bright": (
        "الصورة ساطعة جداً أو باهتة؛ أعد تصوير المستند دون وهج أو فلاش.",
        "The image is too bright or washed out; photograph the document again without glare or flash.",
    ),
    "image.low_contrast": (
        "تباين الصورة ضعيف فلا يمكن تمييز الكتابة بوضوح؛ أعد مسح المستند أو تصويره.",
        "The image has too little contrast to make out the writing; scan or photograph the document again.",
    ),
    "image.blurry": (
        "المسح الضوئي غير واضح؛ أعد مسح المستند أو تصويره بحيث تكون الكتابة واضحة ومقروءة.",
        "The scan is not clear; scan or photograph the document again so that the writing is sharp and readable.",
    ),
    # declared metadata and duplicates (validator)
    "metadata.date_in_future": (
        "تاريخ الحصول على الشهادة في المستقبل.",
        "The date the certificate was obtained is in the future.",
    ),
    "metadata.date_implausible": (
        "تاريخ الحصول على الشهادة غير منطقي؛ تحقق منه.",
        "The date the certificate was obtained is not plausible; check it.",
    ),
    "metadata.field_missing": (
        "بعض بيانات الشهادة فارغة (الجهة المانحة أو التخصص أو الدرجة).",
        "Some certificate details are empty (issuer, specialty or degree).",
    ),
    "duplicate.pending_file": (
        "أرسلت هذا الملف من قبل وما زال قيد المراجعة.",
        "You already sent this file and it is still under review.",
    ),
    "duplicate.pending_certificate": (
        "أرسلت هذه الشهادة من قبل وما زالت قيد المراجعة.",
        "You already submitted this certificate and it is still under review.",
    ),
    "duplicate.pending_page": (
        "هذا المستند مطابق لمستند أرسلته وما زال قيد المراجعة.",
        "This document matches one you sent that is still under review.",
    ),
    # account journey (intake)
    "account.terms_required": (
        "يجب الموافقة على الشروط والأحكام لإنشاء الحساب.",
        "You must accept the terms and conditions to open an account.",
    ),
    "account.id_taken": (
        "يوجد حساب مسجّل برقم الهوية أو الإقامة هذا.",
        "An account with this national ID or iqama number already exists.",
    ),
    "account.email_taken": (
        "يوجد حساب مسجّل بهذا البريد الإلكتروني.",
        "An account with this e-mail address already exists.",
    ),
    "account.phone_unconfirmed": (
        "يلزم تأكيد رقم الجوال أولاً بالرمز المرسل إليك.",
        "Confirm your mobile number first with the code we sent you.",
    ),
    "account.email_unconfirmed": (
        "يلزم تأكيد بريدك الإلكتروني قبل استخدام هذه الخدمة.",
        "Confirm your e-mail address before using this service.",
    ),
    "account.link_used": (
        "رابط التأكيد مستخدم من قبل أو لم يعد صالحاً.",
        "This confirmation link has already been used or is no longer valid.",
    ),
    "profile.no_change": ("لا يوجد تغيير في البيانات المرسلة.", "The data sent changes nothing."),
    "profile.change_pending": (
        "لديك طلب تعديل بيانات قيد المراجعة.",
        "You already have a change of personal data under review.",
    ),
    # resubmission after a reviewer requested changes (intake)
    "submission.not_awaiting_changes": (
        "لا يمكن إعادة تقديم هذا الطلب؛ تُقبل إعادة التقديم فقط بعد أن يطلب المراجع إجراء تعديلات.",
        "This submission cannot be resubmitted: a resubmission is accepted only after a reviewer has requested changes.",
    ),
    "submission.already_resubmitted": (
        "سبق أن أعدت تقديم هذا الطلب؛ تابع الطلب الجديد.",
        "You have already resubmitted this submission; follow the new submission instead.",
    ),
    # classification change requests (intake)
    "classification.request_invalid": (
        "بيانات طلب تغيير التصنيف غير صحيحة.",
        "The classification change request's details are not valid.",
    ),
    "classification.not_your_membership": (
        "رقم العضوية المدخل لا يخص حسابك.",
        "The membership number entered is not your own.",
    ),
    "classification.step_not_allowed": (
        "لا يمكن طلب هذا التصنيف؛ يُسمح بالانتقال درجة واحدة أعلى في مهنتك، أو إلى أول درجة إن لم يكن لديك تصنيف.",
        "This classification cannot be requested: you may move one step up your own profession's ladder, or to its first step if you have no classification yet.",
    ),
    "classification.conditions_not_accepted": (
        "يجب الموافقة على شروط التصنيف المعمول بها حالياً.",
        "You must accept the classification conditions currently in force.",
    ),
    "classification.incomplete": (
        "الطلب غير مكتمل؛ أرفق المستندات المطلوبة لهذا التصنيف فقط.",
        "The request is incomplete: attach the documents this classification requires, and only those.",
    ),
    "classification.request_open": (
        "لديك طلب تغيير تصنيف مفتوح؛ تابعه حتى يُغلق قبل تقديم طلب جديد.",
        "You already have an open classification change request; follow it until it closes before sending a new one.",
    ),
    # review
    "review.already_decided": ("تم اتخاذ قرار في هذا الطلب مسبقاً.", "This item has already been decided."),
    "review.reason_required": (
        "يجب كتابة ملاحظة للممارس عند طلب التعديل أو عند الرفض لسبب آخر.",
        "A note to the practitioner is required to request changes or to reject for another reason.",
    ),
    "review.reason_codes_required": (
        "اختر سبباً واحداً على الأقل للرفض من القائمة.",
        "Choose at least one rejection reason from the catalogue.",
    ),
    "review.reason_code_unknown": ("سبب الرفض غير موجود في القائمة.", "A rejection reason is not in the catalogue."),
    "review.reason_codes_only_for_reject": (
        "أسباب الرفض تُذكر مع قرار الرفض فقط.",
        "Rejection reasons go with a rejection only.",
    ),
    "review.claim_required": (
        "يجب أن تستلم هذا الطلب قبل اتخاذ القرار أو تمديد الاستلام أو إرجاعه.",
        "You must hold this item's claim to decide, renew or release it.",
    ),
    "review.claimed_by_other": ("هذا الطلب مستلم حالياً من مراجع آخر.", "Another reviewer currently holds this item."),
    "review.reserved": (
        "هذا الطلب المُعاد تقديمه محجوز مؤقتاً للمراجع الذي طلب التعديل.",
        "This resubmission is held for a while for the reviewer who requested the changes.",
    ),
    "review.claim_required_to_view": (
        "لا يُعرض المستند إلا لمن استلم الطلب أو للمشرف.",
        "The document is shown only to the reviewer holding the item or to a supervisor.",
    ),
    "review.no_document": ("لا يوجد مستند مرفق بهذا الطلب.", "This item has no document."),
    "review.page_not_found": ("الصفحة المطلوبة غير موجودة في المستند.", "The document has no such page."),
    "review.exam_missing": (
        "لا يمكن اعتماد التصنيف قبل اجتياز جميع الاختبارات المطلوبة له.",
        "The classification cannot be approved until every exam it requires has been passed.",
    ),
    "review.cpd_hours_required": (
        "يجب تحديد عدد الساعات المعتمدة عند اعتماد طلب معادلة ساعات التعليم المستمر.",
        "Approving a CPD recognition request needs the number of hours recognised.",
    ),
    "review.cpd_hours_beyond_claim": (
        "لا يمكن أن تتجاوز الساعات المعتمدة الساعات المطلوبة في الطلب، ويجب أن تكون أكثر من صفر.",
        "The hours recognised must be more than zero and no more than the hours claimed.",
    ),
    "review.cpd_hours_not_expected": (
        "تُحدَّد الساعات المعتمدة عند اعتماد طلب معادلة ساعات التعليم المستمر فقط.",
        "Hours are recognised only when approving a CPD recognition request.",
    ),
    # reviewer console (services/review/console/)
    "console.staff_only": (
        "لوحة المراجعة مخصصة لموظفي الهيئة؛ يتابع الممارسون الصحيون طلباتهم من منصة ممارس.",
        "The review console is for commission staff; practitioners follow their submissions in the Mumaris platform.",
    ),
    "portal.practitioners_only": (
        "منصة ممارس مخصصة للممارسين الصحيين؛ يسجّل موظفو الهيئة الدخول إلى لوحة المراجعة.",
        "This platform is for health practitioners; commission staff sign in to the review console.",
    ),
    "portal.facility_staff_only": (
        "هذه الصفحات لموظفي المنشآت الصحية؛ يسجّل الممارسون الصحيون الدخول إلى منصة ممارس.",
        "These pages are for health facilities' staff; practitioners sign in to the Mumaris platform.",
    ),
    "form.expired": (
        "انتهت صلاحية النموذج؛ أعد تحميل الصفحة وحاول مرة أخرى.",
        "This form has expired; reload the page and try again.",
    ),
    "console.form_expired": (
        "انتهت صلاحية النموذج؛ أعد تحميل الصفحة وحاول مرة أخرى.",
        "This form has expired; reload the page and try again.",
    ),
    # content of a document: hints for the reviewer, never a refusal
    "content.name_not_found": (
        "لم يُعثر على اسم الممارس الصحي في المستند؛ تحقق منه يدوياً.",
        "The practitioner's name was not found on the document; check it by eye.",
    ),
    "content.issuer_not_found": (
        "لم يُعثر على اسم الجهة المانحة في المستند؛ تحقق منه يدوياً.",
        "The issuing institution was not found on the document; check it by eye.",
    ),
    "content.date_not_found": (
        "لم يُعثر في المستند على تاريخ الحصول على الشهادة كما أدخله الممارس؛ تحقق منه يدوياً.",
        "The date the certificate was obtained, as declared, was not found on the document; check it by eye.",
    ),
    "content.cpd_accreditation_not_found": (
        "لم يُعثر في المستند على رقم اعتماد النشاط كما أدخله الممارس؛ تحقق منه يدوياً.",
        "The activity's accreditation number, as declared, was not found on the document; check it by eye.",
    ),
    "content.cpd_hours_not_found": (
        "لم يُعثر في المستند على عدد الساعات كما أدخله الممارس؛ تحقق منه يدوياً.",
        "The number of hours, as declared, was not found on the document; check it by eye.",
    ),
    "content.unreadable": (
        "تعذرت قراءة نص المستند آلياً؛ تحقق يدوياً من الاسم والجهة المانحة والتاريخ.",
        "The document's text could not be read automatically; check the name, issuer and date by eye.",
    ),
    # accounts (services/intake/accounts.py, mumaris/crypto.py)
    "account.id_invalid_format": (
        "رقم الهوية الوطنية أو الإقامة غير صحيح؛ يجب أن يتكون من 10 أرقام ويبدأ بالرقم 1 للهوية الوطنية أو بالرقم 2 للإقامة.",
        "The national ID or iqama number is not valid: it must be 10 digits, starting with 1 for a national ID or 2 for an iqama.",
    ),
    "account.id_invalid_check_digit": (
        "رقم الهوية الوطنية أو الإقامة غير صحيح؛ تحقق من الأرقام المدخلة.",
        "The national ID or iqama number is not valid; check the digits you entered.",
    ),
    "account.id_kind_mismatch": (
        "الرقم لا يطابق نوع الهوية المختار؛ رقم الهوية الوطنية يبدأ بالرقم 1 ورقم الإقامة يبدأ بالرقم 2.",
        "The number does not match the chosen ID type: a national ID starts with 1 and an iqama number with 2.",
    ),
    "account.mobile_invalid": (
        "رقم الجوال غير صحيح؛ أدخل رقم جوال سعودياً مثل 05XXXXXXXX.",
        "The mobile number is not valid; enter a Saudi mobile number such as 05XXXXXXXX.",
    ),
    "account.email_invalid": ("البريد الإلكتروني غير صحيح.", "The e-mail address is not valid."),
    "account.name_invalid": (
        "الاسم غير صحيح؛ استخدم من حرف واحد إلى 50 حرفاً من الحروف العربية أو اللاتينية، مع المسافة والشرطة والفاصلة العليا.",
        "The name is not valid: use 1 to 50 Arabic or Latin letters, with spaces, hyphens and apostrophes.",
    ),
    "account.name_not_arabic": (
        "اكتب الاسم بالحروف العربية هنا؛ وللاسم بالحروف اللاتينية خانته الخاصة.",
        "Write this name in Arabic letters; the name in Latin letters has its own field.",
    ),
    "account.name_not_latin": (
        "اكتب الاسم بالحروف اللاتينية هنا كما يُكتب في شهاداتك، مثل Sara Al-Harbi.",
        "Write this name in Latin letters, as your certificates print it, e.g. Sara Al-Harbi.",
    ),
    "account.password_weak": (
        "كلمة المرور ضعيفة؛ يجب ألا تقل عن 10 خانات وأن تحتوي على حروف وأرقام ورموز.",
        "The password is too weak: it needs at least 10 characters with letters, digits and symbols.",
    ),
    "account.password_too_long": (
        "كلمة المرور طويلة جداً؛ يجب ألا تتجاوز 128 خانة.",
        "The password is too long: it must not exceed 128 characters.",
    ),
    "account.password_mismatch": (
        "كلمة المرور وتأكيدها غير متطابقتين.",
        "The password and its confirmation do not match.",
    ),
    "account.password_contains_personal_data": (
        "يجب ألا تحتوي كلمة المرور على بريدك الإلكتروني أو رقم هويتك أو اسمك.",
        "The password must not contain your e-mail address, ID number or name.",
    ),
    "account.code_missing": (
        "لا يوجد رمز تحقق صالح؛ اطلب رمزاً جديداً.",
        "There is no active verification code; request a new one.",
    ),
    "account.code_expired": (
        "انتهت صلاحية رمز التحقق؛ اطلب رمزاً جديداً.",
        "The verification code has expired; request a new one.",
    ),
    "account.code_dead": (
        "تجاوزت عدد المحاولات المسموح به لهذا الرمز؛ اطلب رمزاً جديداً.",
        "Too many wrong attempts for this code; request a new one.",
    ),
    "account.code_wrong": ("رمز التحقق غير صحيح.", "The verification code is incorrect."),
    "account.code_resend_too_soon": (
        "لا يمكن إعادة إرسال الرمز الآن؛ انتظر قليلاً ثم حاول مرة أخرى.",
        "The code cannot be sent again yet; wait a moment and try again.",
    ),
    "account.code_resend_limit": (
        "تجاوزت الحد المسموح به لإرسال الرموز خلال ساعة؛ حاول لاحقاً.",
        "You have reached the limit of codes per hour; try again later.",
    ),
    "account.link_invalid": (
        "رابط التأكيد غير صالح أو سبق استخدامه.",
        "The confirmation link is invalid or has already been used.",
    ),
    "account.link_expired": (
        "انتهت صلاحية رابط التأكيد؛ اطلب رابطاً جديداً.",
        "The confirmation link has expired; request a new one.",
    ),
    "account.membership_number_invalid": ("رقم العضوية غير صحيح.", "The membership number is not valid."),
    "account.login_failed": (
        "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
        "The e-mail address or password is incorrect.",
    ),
    "account.login_locked": (
        "أُوقف تسجيل الدخول مؤقتاً بسبب تكرار المحاولات الخاطئة؛ حاول لاحقاً.",
        "Sign-in is temporarily locked after repeated failed attempts; try again later.",
    ),
    # forgotten password (services/intake/accounts/service.py: PasswordResets)
    "account.reset_link_invalid": (
        "رابط إعادة تعيين كلمة المرور غير صالح أو سبق استخدامه؛ اطلب رابطاً جديداً.",
        "This password reset link is invalid or has already been used; ask for a new one.",
    ),
    "account.reset_link_expired": (
        "انتهت صلاحية رابط إعادة تعيين كلمة المرور؛ اطلب رابطاً جديداً.",
        "This password reset link has expired; ask for a new one.",
    ),
    "account.reset_limit": (
        "وصلت طلبات إعادة تعيين كلمة المرور من هذا الجهاز إلى الحد المسموح؛ حاول لاحقاً.",
        "Too many password reset requests have come from this device; try again later.",
    ),
    # professional registrations and their renewal (services/intake/registration/)
    "registration.none": (
        "لا يوجد لديك تسجيل مهني بعد؛ يصدر التسجيل عند اعتماد أول تصنيف مهني لك.",
        "You have no professional registration yet: it is issued when your first classification is approved.",
    ),
    "registration.renewal_not_open": (
        "لم يُفتح تجديد التسجيل بعد؛ يُفتح قبل انتهاء التسجيل بمدة محددة.",
        "Renewal is not open yet: it opens a set time before the registration expires.",
    ),
    "registration.suspended": (
        "التسجيل المهني موقوف؛ لا يمكن تجديده حتى يُرفع الإيقاف.",
        "The registration is suspended: it cannot be renewed until the suspension is lifted.",
    ),
    "registration.lapsed": (
        "انتهت مهلة تجديد التسجيل المهني وسقط التسجيل؛ تواصل مع الهيئة لإعادة التسجيل.",
        "The registration lapsed after its grace period: contact the commission to register again.",
    ),
    "registration.already_suspended": ("التسجيل المهني موقوف مسبقاً.", "The registration is already suspended."),
    "registration.not_suspended": ("التسجيل المهني غير موقوف.", "The registration is not suspended."),
    "registration.renewal_pending": (
        "لديك طلب تجديد قائم بانتظار السداد.",
        "You already have a renewal awaiting payment.",
    ),
    "registration.cpd_hours_short": (
        "ساعات التطوير المهني المستمر المعتمدة في هذه الدورة أقل من المطلوب للتجديد.",
        "The continuing professional development hours credited in this cycle are fewer than renewal requires.",
    ),
    # the public register and registration cards (services/intake/register/)
    "register.rate_limited": (
        "طلبات كثيرة من هذا العنوان على السجل العام؛ انتظر قليلاً ثم حاول مرة أخرى.",
        "Too many requests to the public register from this address: wait a moment and try again.",
    ),
    "register.not_found": (
        "لا يوجد تسجيل مهني بهذا الرقم.",
        "There is no professional registration with this number.",
    ),
    "register.number_invalid": (
        "رقم التسجيل غير صحيح؛ يبدأ بـ RG- ويليه ثمانية أرقام.",
        "The registration number is not valid: RG- followed by eight digits.",
    ),
    "register.query_too_short": (
        "اكتب ثلاثة أحرف على الأقل من الاسم.",
        "Type at least three letters of the name.",
    ),
    "register.profession_unknown": ("المهنة غير معروفة.", "The profession is not known."),
    "register.page_out_of_range": (
        "لا تُعرض نتائج بعد هذه الصفحة؛ حدد البحث أكثر.",
        "No results are shown beyond this page: narrow the search.",
    ),
    "register.card_not_valid": (
        "تسجيلك المهني غير ساري الآن؛ لا تصدر بطاقة له.",
        "Your registration is not valid now: no card can be issued for it.",
    ),
    # a registration card's verdict (what the verification page and `mumaris verify` say)
    "card.valid": (
        "البطاقة موقعة من الهيئة، والتسجيل المهني ساري الآن.",
        "The card is signed by the commission, and the registration is valid now.",
    ),
    "card.signed_offline": (
        "البطاقة موقعة من الهيئة وغير منتهية؛ تحقق من سريان التسجيل الآن في السجل العام.",
        "The card is signed by the commission and has not expired; check on the public register that the registration is valid now.",
    ),
    "card.not_valid_now": (
        "البطاقة موقعة من الهيئة، لكن التسجيل المهني غير ساري الآن.",
        "The card is signed by the commission, but the registration is not valid now.",
    ),
    "card.malformed": (
        "هذه ليست بطاقة تسجيل مقروءة (رمز تالف أو ناقص).",
        "This is not a readable registration card (the code is damaged or incomplete).",
    ),
    "card.bad_signature": (
        "توقيع البطاقة غير صحيح: عُدلت بياناتها أو لم توقعها الهيئة.",
        "The card's signature does not match: its data was changed, or the commission did not sign it.",
    ),
    "card.unknown_key": (
        "البطاقة موقعة بمفتاح لا تعرفه الهيئة.",
        "The card is signed with a key the commission does not know.",
    ),
    "card.key_revoked": (
        "البطاقة موقعة بمفتاح ألغته الهيئة؛ لا يُعتد بها.",
        "The card is signed with a key the commission has revoked: it cannot be trusted.",
    ),
    "card.expired": (
        "انتهت صلاحية البطاقة؛ اطلب من صاحبها بطاقة حديثة أو تحقق من السجل العام.",
        "The card has expired: ask its holder for a current one, or check the public register.",
    ),
    "card.keys_unavailable": (
        "تعذر قراءة مفاتيح الهيئة المنشورة.",
        "The commission's published keys could not be read.",
    ),
    # why a signed card's registration is not valid now
    "card.reason.suspended": ("التسجيل المهني موقوف.", "The registration is suspended."),
    "card.reason.lapsed": (
        "سقط التسجيل المهني لعدم تجديده.",
        "The registration has lapsed: it was not renewed.",
    ),
    "card.reason.grace": (
        "انتهى التسجيل المهني ولم يُجدد بعد (مهلة التجديد).",
        "The registration has expired and is not renewed yet (grace period).",
    ),
    "card.reason.unknown_registration": (
        "لا يوجد في السجل تسجيل مهني بهذا الرقم.",
        "The register holds no registration with this number.",
    ),
    "card.reason.classification_changed": (
        "تغير التصنيف المهني منذ إصدار البطاقة؛ التصنيف الحالي مبين أدناه.",
        "The classification has changed since the card was issued: the current one is shown below.",
    ),
    # facilities and their rosters (services/intake/facilities/)
    "facility.licence_taken": (
        "توجد منشأة مسجلة بهذا الرقم من قبل.",
        "A facility with this licence number already exists.",
    ),
    "roster.header_missing": (
        "يجب أن يبدأ الملف بسطر عناوين فيه العمود registration_number.",
        "The file must start with a header line naming the column registration_number.",
    ),
    "roster.too_many_rows": (
        "عدد أسطر الملف يتجاوز الحد المسموح؛ قسّمه إلى ملفات أصغر.",
        "The file has more lines than allowed; split it into smaller files.",
    ),
    "roster.file_too_large": (
        "حجم ملف القائمة يتجاوز الحد المسموح.",
        "The roster file is larger than allowed.",
    ),
    "roster.row_unreadable": (
        "تعذرت قراءة السطر: ليس نصاً بترميز UTF-8 أو ليس سجلاً واحداً بصيغة CSV.",
        "The line cannot be read: it is not UTF-8 text or not one CSV record.",
    ),
    "roster.number_missing": ("رقم التسجيل المهني مفقود في هذا السطر.", "The line has no registration number."),
    "roster.number_invalid": (
        "رقم التسجيل المهني غير صحيح الصيغة أو رقم التحقق فيه خاطئ.",
        "The registration number is malformed or its check digit is wrong.",
    ),
    "roster.unknown_registration": (
        "لا يوجد تسجيل مهني بهذا الرقم في السجل.",
        "The registry has no registration with this number.",
    ),
    "roster.duplicate_row": (
        "رقم التسجيل مكرر؛ ورد في سطر سابق من الملف.",
        "The registration number is repeated from an earlier line of the file.",
    ),
    "roster.employee_number_invalid": (
        "الرقم الوظيفي طويل جداً أو يحتوي على رموز غير مقروءة.",
        "The employee number is too long or holds unprintable characters.",
    ),
    "roster.not_on_roster": (
        "هذا الممارس الصحي ليس في قائمة المنشأة.",
        "This practitioner is not on the facility's roster.",
    ),
    # facilities' webhooks (services/notifier/webhooks/)
    "webhook.url_invalid": ("عنوان الويب هوك غير صالح.", "The webhook URL is not valid."),
    "webhook.url_not_https": ("يجب أن يبدأ عنوان الويب هوك بـ https.", "The webhook URL must use https."),
    "webhook.address_not_allowed": (
        "عنوان الويب هوك يشير إلى عنوان شبكة داخلي أو محجوز وهذا غير مسموح.",
        "The webhook URL leads to a loopback, private, link-local or reserved address, which is not allowed.",
    ),
    "webhook.host_unresolvable": (
        "تعذر العثور على الخادم في عنوان الويب هوك.",
        "The host of the webhook URL cannot be resolved.",
    ),
    "webhook.not_parked": (
        "هذا التسليم ليس في قائمة التسليمات المتوقفة.",
        "This delivery is not in the dead-letter list.",
    ),
    "webhook.rotation_conflict": (
        "يجري تغيير سر هذا الويب هوك الآن من جهة أخرى؛ حاول مرة أخرى بعد لحظات.",
        "This webhook's secret is being rotated by someone else right now; try again in a moment.",
    ),
    # the CPD ledger (services/intake/cpd/): refusals intake records for a provider's attendance record
    "cpd.already_credited": (
        "هذا النشاط (رقم الاعتماد والتاريخ) محتسب من قبل للممارس الصحي.",
        "This activity (accreditation number and date) has already been credited to the practitioner.",
    ),
    "metadata.expiry_before_obtained": (
        "يجب أن يكون تاريخ انتهاء الشهادة بعد تاريخ الحصول عليها.",
        "The certificate's expiry date must be after the date it was obtained.",
    ),
    "cpd.attended_in_future": (
        "تاريخ حضور النشاط في المستقبل.",
        "The date the activity was attended is in the future.",
    ),
    # certificate feed (gov.certificates): refusals intake records for the publisher (services/intake/feed.py)
    "feed.unknown_practitioner": (
        "لا يوجد حساب ممارس صحي برقم الهوية أو الإقامة المرسل.",
        "No practitioner account has the national ID or iqama number sent.",
    ),
    "feed.practitioner_not_active": (
        "حساب الممارس الصحي صاحب رقم الهوية أو الإقامة المرسل لم يُفعَّل بعد.",
        "The account with the national ID or iqama number sent is not active yet.",
    ),
    "feed.url_not_allowed": (
        "رابط المستند غير مسموح؛ تُقبل روابط https على الجهات المعتمدة فقط.",
        "The document URL is not allowed: only https links on the allow-listed hosts are accepted.",
    ),
    "feed.document_invalid": (
        "المستند غير موجود، أو ليس ملف PDF أو JPEG ضمن الحجم المسموح.",
        "The document is missing, or is not a PDF or JPEG within the allowed size.",
    ),
    "feed.document_ambiguous": (
        "يجب أن يحدد السجل مستنده بمعرّف ملف أو برابط، لا بكليهما ولا بدونهما.",
        "The record must name its document by exactly one of a file id or a URL.",
    ),
    "feed.document_unreachable": (
        "تعذر تنزيل المستند من الرابط المرسل.",
        "The document could not be downloaded from the URL sent.",
    ),
}


def localized(code: str) -> Localized:
    ar, en = MESSAGES[code]
    return Localized(ar=ar, en=en)


class Refusal(Exception):
    """The rules said no: a stable `code` (a MESSAGES key) and what the caller may be shown
    (`details`). Each area's rules raise their own subclass; a route turns it into an ApiError with
    the status its API documents (`ApiError.of`), a handler into a dead letter. Nothing deeper
    knows about HTTP."""

    def __init__(self, code: str, details: Any = None) -> None:
        assert code in MESSAGES, code
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass
class ApiError(Exception):
    """A refusal a client can act on: HTTP status, stable code, Arabic + English message."""

    status: int
    code: str
    details: Any = None
    headers: dict[str, str] | None = None

    @classmethod
    def of(cls, refusal: Refusal, status: int, headers: dict[str, str] | None = None) -> "ApiError":
        return cls(status, refusal.code, refusal.details, headers)

    def body(self) -> dict[str, Any]:
        message = localized(self.code)
        error: dict[str, Any] = {"code": self.code, "message": {"ar": message.ar, "en": message.en}}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}
