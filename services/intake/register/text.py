"""The public register's and the card's words in the portal, in Arabic and English (`w("key")` in
the templates of templates/; the portal's frame keeps its own words, `t`). Verdicts and reasons
keep their wording in mumaris.errors.MESSAGES (`w.error(code)`), the catalogue the API uses."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from mumaris.web import Words

REGISTER_TEXT: dict[str, tuple[str, str]] = {
    "register_title": ("السجل العام للممارسين الصحيين", "Public register of health practitioners"),
    "register_intro": (
        "تحقق من تسجيل ممارس صحي: برقم التسجيل، أو بالاسم والمهنة.",
        "Check a health practitioner's registration: by registration number, or by name and profession.",
    ),
    "lookup_heading": ("البحث برقم التسجيل", "Look up by registration number"),
    "search_heading": ("البحث بالاسم والمهنة", "Search by name and profession"),
    "field_number": ("رقم التسجيل", "Registration number"),
    "hint_number": ("مثل RG-00000018", "For example RG-00000018"),
    "field_name": ("الاسم (بالعربية أو بالإنجليزية)", "Name (in Arabic or Latin letters)"),
    "hint_name": (
        "ثلاثة أحرف على الأقل؛ كل كلمة بداية كلمة من الاسم.",
        "At least three letters; each word starts a word of the name.",
    ),
    "field_profession": ("المهنة", "Profession"),
    "lookup_button": ("تحقق", "Check"),
    "search_button": ("ابحث", "Search"),
    "results_heading": ("النتائج", "Results"),
    "no_results": ("لا توجد نتائج؛ تحقق من الاسم والمهنة.", "No results: check the name and the profession."),
    "page_n": ("الصفحة {n}", "Page {n}"),
    "next_page": ("الصفحة التالية", "Next page"),
    "previous_page": ("الصفحة السابقة", "Previous page"),
    "results_capped": (
        "تُعرض أول {pages} صفحات من النتائج فقط؛ حدد البحث أكثر.",
        "Only the first {pages} pages of results are shown: narrow the search.",
    ),
    "entry_title": ("التسجيل المهني {number}", "Professional registration {number}"),
    "name_ar": ("الاسم", "Name (Arabic)"),
    "name_latin": ("الاسم بالأحرف اللاتينية", "Name (Latin letters)"),
    "classification": ("التصنيف المهني", "Classification"),
    "status": ("حالة التسجيل", "Registration status"),
    "valid_from": ("بداية الدورة", "Cycle started"),
    "valid_until": ("ساري حتى", "Valid until"),
    "valid_now": ("ساري الآن", "Valid now"),
    "not_valid_now": ("غير ساري الآن", "Not valid now"),
    "not_given": ("غير مسجل", "Not on record"),
    "status.active": ("ساري", "Active"),
    "status.renewal_open": ("ساري (التجديد متاح)", "Active (renewal open)"),
    "status.renewed": ("ساري (مجدد)", "Active (renewed)"),
    "status.grace": ("منتهٍ (مهلة التجديد)", "Expired (grace period)"),
    "status.lapsed": ("ساقط", "Lapsed"),
    "status.suspended": ("موقوف", "Suspended"),
    "back_to_register": ("العودة إلى السجل العام", "Back to the public register"),
    # verification
    "verify_title": ("التحقق من بطاقة التسجيل المهني", "Check a registration card"),
    "verify_intro": (
        "امسح رمز البطاقة أو الصق محتواه هنا للتحقق من توقيعها ومن سريان التسجيل الآن.",
        "Scan the card's code, or paste what it holds here, to check its signature and whether the registration is valid now.",
    ),
    "field_card": ("محتوى رمز البطاقة", "What the card's code holds"),
    "verify_button": ("تحقق من البطاقة", "Check the card"),
    "verdict_heading": ("النتيجة", "Verdict"),
    "card_says": ("ما تذكره البطاقة", "What the card says"),
    "register_says": ("ما يذكره السجل الآن", "What the register says now"),
    "signed_by_key": ("مفتاح التوقيع", "Signing key"),
    "verdict.valid": ("سارية", "Valid"),
    "verdict.not_valid_now": ("موقعة لكنها غير سارية الآن", "Signed, but not valid now"),
    "verdict.invalid": ("غير صحيحة", "Not valid"),
    # the practitioner's card
    "card_title": ("بطاقة التسجيل المهني", "My registration card"),
    "card_intro": (
        "اعرض هذه البطاقة أو اطبعها؛ يمكن لأي جهة مسح رمزها للتحقق من سريان تسجيلك الآن.",
        "Show or print this card: anyone can scan its code to check that your registration is valid now.",
    ),
    "card_qr": ("رمز التحقق من البطاقة", "The card's verification code"),
    "download_pdf": ("تنزيل البطاقة (PDF)", "Download the card (PDF)"),
    "open_verification": ("افتح صفحة التحقق", "Open the verification page"),
    "my_card_link": ("بطاقة التسجيل المهني", "My registration card"),
}


@dataclass(frozen=True)
class RegisterWords(Words):
    table: Mapping[str, tuple[str, str]] = field(default_factory=lambda: REGISTER_TEXT)
