"""The facility pages' words, in Arabic and English (`w("key")` in templates/; the portal's frame
keeps its own words, `t`). Refusals keep their wording in mumaris.errors.MESSAGES (`w.error(code)`),
the catalogue the API uses: a roster file's refused lines are told with the same codes."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from mumaris.errors import MESSAGES
from mumaris.web import Words, ltr
from services.intake.register.text import REGISTER_TEXT

# The registration statuses as the public register words them, and one for a number it lacks.
STATUS_TEXT = {key: value for key, value in REGISTER_TEXT.items() if key.startswith("status.")}

FACILITY_TEXT: dict[str, tuple[str, str]] = {
    **STATUS_TEXT,
    "status.unknown": ("غير موجود في السجل", "Not in the registry"),
    "facility_portal": ("بوابة المنشآت الصحية", "Health facilities"),
    "nav_roster": ("قائمة الممارسين", "Roster"),
    "nav_webhooks": ("الإشعارات الآلية (ويب هوك)", "Webhooks"),
    "sign_in_title": ("دخول موظفي المنشأة", "Facility staff sign-in"),
    "sign_in_intro": (
        "لموظفي المستشفيات والعيادات المسجلة: تابع تسجيل الممارسين الصحيين العاملين لديكم.",
        "For staff of registered hospitals and clinics: follow the registrations of the practitioners you employ.",
    ),
    "sign_in_button": ("تسجيل الدخول", "Sign in"),
    # the roster
    "roster_title": ("قائمة الممارسين في {facility}", "Practitioners at {facility}"),
    "summary_heading": ("الحالة في لمحة", "At a glance"),
    "practitioners_n": ("{n} ممارس صحي", "{n} practitioners"),
    "as_of": ("حتى {day}", "as of {day}"),
    "flag.suspended": ("موقوف", "Suspended"),
    "flag.lapsed": ("ساقط", "Lapsed"),
    "flag.expiring": ("ينتهي قريباً", "Expiring soon"),
    "flag.unknown": ("غير موجود في السجل", "Not in the registry"),
    "filter_label": ("عرض", "Show"),
    "filter.all": ("الجميع", "Everyone"),
    "filter.attention": ("من يحتاج إلى متابعة", "Needing attention"),
    "filter.suspended": ("الموقوفون", "Suspended"),
    "filter.lapsed": ("الساقط تسجيلهم", "Lapsed"),
    "filter.expiring": ("من ينتهي تسجيلهم قريباً", "Expiring soon"),
    "filter_button": ("اعرض", "Show"),
    "col_name": ("الاسم", "Name"),
    "col_number": ("رقم التسجيل", "Registration number"),
    "col_status": ("الحالة", "Status"),
    "col_expires": ("ينتهي في", "Expires on"),
    "col_flags": ("تنبيه", "Warning"),
    "no_flags": ("لا شيء", "None"),
    "no_entries": ("لا يوجد ممارسون في هذا العرض.", "No practitioners in this view."),
    "next_page": ("الصفحة التالية", "Next page"),
    "first_page": ("الصفحة الأولى", "First page"),
    "export_link": ("تنزيل القائمة بصيغة CSV", "Download the roster as CSV"),
    "upload_heading": ("رفع قائمة", "Upload a roster"),
    "upload_intro": (
        "ملف CSV بترميز UTF-8 أول سطر فيه عناوين الأعمدة، ومنها registration_number (واختيارياً employee_number)؛ "
        "يُضاف كل سطر صحيح، ويُبيَّن سبب رفض كل سطر غير صحيح.",
        "A UTF-8 CSV file whose first line names the columns, among them registration_number (and optionally "
        "employee_number); each good line is added, and each refused line is told with its reason.",
    ),
    "field_file": ("ملف القائمة (CSV)", "Roster file (CSV)"),
    "upload_button": ("ارفع الملف", "Upload the file"),
    "report_heading": ("نتيجة الرفع", "Upload report"),
    "report_counts": (
        "قُرئ {lines} سطراً: أُضيف {added}، وكان {already} في القائمة من قبل، ورُفض {refused}.",
        "{lines} lines read: {added} added, {already} already on the roster, {refused} refused.",
    ),
    "report_repeated": (
        "رُفع هذا الملف نفسه من قبل؛ لم يتغير شيء، وهذه نتيجته الأولى.",
        "This very file was uploaded before: nothing changed, and this is its first report.",
    ),
    "refused_heading": ("الأسطر المرفوضة", "Refused lines"),
    "line_n": ("السطر {n}", "Line {n}"),
    # webhooks
    "webhooks_title": ("الإشعارات الآلية (ويب هوك)", "Webhooks"),
    "webhooks_intro": (
        "يرسل السجل كل تغيير في تسجيل ممارس في قائمتكم إلى عنوانكم (HTTPS)، موقّعاً بسرّكم، "
        "ويعيد المحاولة عند تعذر التسليم.",
        "The registry sends each change of a rostered practitioner's registration to your HTTPS address, signed "
        "with your secret, and tries again while it cannot be delivered.",
    ),
    "webhooks_heading": ("عناوينكم", "Your endpoints"),
    "no_webhooks": ("لا توجد عناوين مسجلة.", "No endpoint is registered."),
    "registered_on": ("سُجل في {when}", "Registered {when}"),
    "rotated_on": (
        "غُيّر السر في {when}؛ يوقَّع بالسر السابق أيضاً حتى {until}.",
        "Secret rotated {when}; the previous one also signs until {until}.",
    ),
    "disable_button": ("إيقاف", "Disable"),
    "rotate_button": ("تغيير السر", "Rotate the secret"),
    "register_heading": ("تسجيل عنوان", "Register an endpoint"),
    "field_url": ("العنوان (https://…)", "Address (https://…)"),
    "register_button": ("سجّل", "Register"),
    "secret_heading": ("سر التوقيع", "Signing secret"),
    "secret_once": (
        "احفظ هذا السر الآن في نظامكم: لن يُعرض مرة أخرى. يتحقق به نظامكم من توقيع كل إشعار (ترويسة webhook-signature).",
        "Keep this secret in your system now: it is not shown again. Your system checks each delivery's "
        "signature (the webhook-signature header) with it.",
    ),
    "secret_overlap": (
        "يوقَّع كل إشعار بالسرين معاً حتى {until}، ثم بالسر الجديد وحده.",
        "Each delivery is signed with both secrets until {until}, then with the new one alone.",
    ),
    "deliveries_heading": ("سجل التسليم", "Delivery log"),
    "no_deliveries": ("لا توجد تسليمات بعد.", "No deliveries yet."),
    "col_event": ("الحدث", "Event"),
    "col_attempts": ("المحاولات", "Tries"),
    "col_delivery": ("الحالة", "Status"),
    "col_last_error": ("آخر خطأ", "Last error"),
    "col_when": ("الوقت", "When"),
    # How a failed try ended (notifier's delivery log keeps the code: http_<status>, timeout, the
    # network error's name, a refusal webhook.*), as the facility's staff read it.
    "try.http": ("أجاب عنوانكم بالرمز {status}", "Your endpoint answered {status}"),
    "try.timeout": ("لم يُجب عنوانكم في المهلة", "Your endpoint did not answer in time"),
    "try.no_answer": ("لم يصل رد من عنوانكم", "No answer came from your endpoint"),
    "try.subscription_removed": ("أُوقف العنوان", "The endpoint was disabled"),
    "try.network": ("تعذّر الاتصال بعنوانكم", "Your endpoint could not be reached"),
    "delivery.pending": ("قيد المحاولة", "Pending"),
    "delivery.delivered": ("سُلّم", "Delivered"),
    "delivery.dead": ("متوقف", "Parked"),
    "change.issued": ("إصدار التسجيل", "Registration issued"),
    "change.renewed": ("تجديد", "Renewed"),
    "change.expiring": ("اقتراب الانتهاء", "Expiring"),
    "change.lapsed": ("سقوط", "Lapsed"),
    "change.suspended": ("إيقاف", "Suspended"),
    "change.reinstated": ("إعادة", "Reinstated"),
    "change.classification_changed": ("تغيير التصنيف", "Classification changed"),
    "dead_heading": ("التسليمات المتوقفة", "Dead-letter list"),
    "dead_intro": (
        "تسليمات توقفت المحاولة فيها بعد ساعات من الإخفاق؛ أعد إرسالها متى عاد عنوانكم يستقبل (بالمعرّف نفسه).",
        "Deliveries given up after hours of failures; send them again once your endpoint is back (same webhook-id).",
    ),
    "no_dead": ("لا توجد تسليمات متوقفة.", "No delivery is parked."),
    "replay_button": ("أعد الإرسال", "Replay"),
    "done.webhook_registered": ("سُجل العنوان.", "The endpoint is registered."),
    "done.webhook_disabled": (
        "أُوقف العنوان؛ لن تُرسل إليه إشعارات بعد الآن.",
        "The endpoint is disabled: nothing more is sent to it.",
    ),
    "done.secret_rotated": ("غُيّر السر.", "The secret is rotated."),
    "done.replayed": ("أُعيد التسليم إلى قائمة الإرسال.", "The delivery is queued again."),
}

# What `?done=` may announce on a facility page (the value names a text, never carries one).
NOTICES = frozenset(key.removeprefix("done.") for key in FACILITY_TEXT if key.startswith("done."))


@dataclass(frozen=True)
class FacilityWords(Words):
    table: Mapping[str, tuple[str, str]] = field(default_factory=lambda: FACILITY_TEXT)

    def try_outcome(self, outcome: str) -> str:
        """A failed try's outcome in words (the code itself stays on the page's data-outcome)."""
        if outcome.startswith("http_") and outcome[5:].isdigit():
            return self("try.http", status=ltr(outcome[5:]))
        if outcome.startswith("webhook.") and outcome in MESSAGES:
            return self.error(outcome)
        if outcome in ("timeout", "no_answer", "subscription_removed"):
            return self(f"try.{outcome}")
        return self("try.timeout" if outcome.endswith("Timeout") else "try.network")
