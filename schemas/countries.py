"""Countries by their ISO 3166-1 alpha-2 code, as pages name them (a CPD recognition request says
where the activity took place): the countries practitioners most often bring CPD hours from. A
code not listed here is shown as it is (it is still a valid claim)."""

from schemas.events import Localized

COUNTRIES: dict[str, Localized] = {
    code: Localized(ar=ar, en=en)
    for code, ar, en in (
        ("AE", "الإمارات العربية المتحدة", "United Arab Emirates"),
        ("AT", "النمسا", "Austria"),
        ("AU", "أستراليا", "Australia"),
        ("BD", "بنغلاديش", "Bangladesh"),
        ("BE", "بلجيكا", "Belgium"),
        ("BH", "البحرين", "Bahrain"),
        ("BR", "البرازيل", "Brazil"),
        ("CA", "كندا", "Canada"),
        ("CH", "سويسرا", "Switzerland"),
        ("CN", "الصين", "China"),
        ("CZ", "التشيك", "Czechia"),
        ("DE", "ألمانيا", "Germany"),
        ("DK", "الدنمارك", "Denmark"),
        ("DZ", "الجزائر", "Algeria"),
        ("EG", "مصر", "Egypt"),
        ("ES", "إسبانيا", "Spain"),
        ("ET", "إثيوبيا", "Ethiopia"),
        ("FI", "فنلندا", "Finland"),
        ("FR", "فرنسا", "France"),
        ("GB", "المملكة المتحدة", "United Kingdom"),
        ("GR", "اليونان", "Greece"),
        ("HU", "المجر", "Hungary"),
        ("ID", "إندونيسيا", "Indonesia"),
        ("IE", "أيرلندا", "Ireland"),
        ("IN", "الهند", "India"),
        ("IQ", "العراق", "Iraq"),
        ("IT", "إيطاليا", "Italy"),
        ("JO", "الأردن", "Jordan"),
        ("JP", "اليابان", "Japan"),
        ("KE", "كينيا", "Kenya"),
        ("KR", "كوريا الجنوبية", "South Korea"),
        ("KW", "الكويت", "Kuwait"),
        ("LB", "لبنان", "Lebanon"),
        ("LK", "سريلانكا", "Sri Lanka"),
        ("LY", "ليبيا", "Libya"),
        ("MA", "المغرب", "Morocco"),
        ("MX", "المكسيك", "Mexico"),
        ("MY", "ماليزيا", "Malaysia"),
        ("NG", "نيجيريا", "Nigeria"),
        ("NL", "هولندا", "Netherlands"),
        ("NO", "النرويج", "Norway"),
        ("NP", "نيبال", "Nepal"),
        ("NZ", "نيوزيلندا", "New Zealand"),
        ("OM", "عُمان", "Oman"),
        ("PH", "الفلبين", "Philippines"),
        ("PK", "باكستان", "Pakistan"),
        ("PL", "بولندا", "Poland"),
        ("PS", "فلسطين", "Palestine"),
        ("PT", "البرتغال", "Portugal"),
        ("QA", "قطر", "Qatar"),
        ("RO", "رومانيا", "Romania"),
        ("SA", "المملكة العربية السعودية", "Saudi Arabia"),
        ("SD", "السودان", "Sudan"),
        ("SE", "السويد", "Sweden"),
        ("SG", "سنغافورة", "Singapore"),
        ("SY", "سوريا", "Syria"),
        ("TN", "تونس", "Tunisia"),
        ("TR", "تركيا", "Türkiye"),
        ("UA", "أوكرانيا", "Ukraine"),
        ("US", "الولايات المتحدة", "United States"),
        ("YE", "اليمن", "Yemen"),
        ("ZA", "جنوب أفريقيا", "South Africa"),
    )
}


def country_name(code: str | None, lang: str) -> str | None:
    """The country's name in `lang`, or None for a code not listed (the page shows the code)."""
    found = COUNTRIES.get((code or "").upper())
    return None if found is None else (found.ar if lang == "ar" else found.en)
