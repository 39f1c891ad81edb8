"""How `name_pairs.csv` was made (run once; the CSV is the data the benchmark and tests read).

    python -m tests.data.make_name_pairs > tests/data/name_pairs.csv

A hand-written lexicon of Gulf, Levantine and Egyptian given and family names, each in Arabic
letters with the Latin spellings met on certificates; full names composed from it with a fixed
seed. Columns: registered (the name on the account), printed (the name on the certificate),
same (1: the same person, 0: another), kind (which scripts, and which near-miss).
"""

import csv
import random
import sys

MALE = {
    "محمد": ["Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad"],
    "أحمد": ["Ahmed", "Ahmad"],
    "عبدالله": ["Abdullah", "Abdulla", "Abdallah", "Abd Allah"],
    "عبدالرحمن": ["Abdulrahman", "Abdul Rahman", "Abd al-Rahman", "Abdelrahman", "Abdurrahman"],
    "عبدالرحيم": ["Abdulrahim", "Abdul Rahim", "Abdelrahim"],
    "عبدالعزيز": ["Abdulaziz", "Abdul Aziz", "Abdelaziz", "Abd El Aziz"],
    "عبدالكريم": ["Abdulkarim", "Abdul Kareem", "Abdelkarim"],
    "عبدالإله": ["Abdulilah", "Abdul Elah", "Abdulelah"],
    "خالد": ["Khaled", "Khalid"],
    "خليل": ["Khalil", "Khaleel"],
    "فيصل": ["Faisal", "Faysal", "Feisal"],
    "سعد": ["Saad", "Sa'ad"],
    "سعود": ["Saud", "Saoud"],
    "فهد": ["Fahad", "Fahd"],
    "عمر": ["Omar", "Umar"],
    "علي": ["Ali"],
    "حسن": ["Hassan", "Hasan"],
    "حسين": ["Hussein", "Hussain", "Husain", "Hossein"],
    "يوسف": ["Yousef", "Youssef", "Yusuf", "Yousif"],
    "إبراهيم": ["Ibrahim", "Ebrahim"],
    "ماجد": ["Majed", "Majid"],
    "نايف": ["Naif", "Nayef"],
    "نواف": ["Nawaf"],
    "سلطان": ["Sultan"],
    "سلمان": ["Salman"],
    "تركي": ["Turki"],
    "بندر": ["Bandar"],
    "ناصر": ["Nasser", "Naser"],
    "صالح": ["Saleh", "Salih"],
    "مصطفى": ["Mustafa", "Mostafa", "Moustafa"],
    "محمود": ["Mahmoud", "Mahmood", "Mahmud"],
    "طارق": ["Tariq", "Tarek", "Tareq"],
    "وليد": ["Waleed", "Walid"],
    "ياسر": ["Yasser", "Yaser"],
    "جمال": ["Jamal", "Gamal"],
    "هشام": ["Hisham", "Hesham"],
    "أيمن": ["Ayman", "Aiman"],
    "مازن": ["Mazen"],
    "رامي": ["Rami", "Ramy"],
    "سامر": ["Samer"],
    "زياد": ["Ziad", "Ziyad"],
    "بلال": ["Bilal", "Belal"],
    "حمد": ["Hamad"],
    "حامد": ["Hamed", "Hamid"],
    "عادل": ["Adel", "Adil"],
    "منصور": ["Mansour", "Mansoor"],
    "راشد": ["Rashed", "Rashid"],
    "عيسى": ["Issa", "Eisa", "Isa"],
    "موسى": ["Musa", "Mousa"],
    "يحيى": ["Yahya", "Yehia"],
    "أسامة": ["Osama", "Usama"],
    "شادي": ["Shadi", "Chadi"],
    "مشعل": ["Mishal", "Meshal"],
    "ثامر": ["Thamer", "Tamer"],
    "ظافر": ["Dhafer", "Zafer"],
}
FEMALE = {
    "سارة": ["Sara", "Sarah"],
    "نورة": ["Noura", "Nora", "Norah"],
    "فاطمة": ["Fatima", "Fatimah", "Fatma"],
    "عائشة": ["Aisha", "Aysha", "Aicha"],
    "مريم": ["Maryam", "Mariam"],
    "هدى": ["Huda", "Hoda"],
    "ريم": ["Reem", "Rim"],
    "نوف": ["Nouf"],
    "منى": ["Mona", "Muna"],
    "مها": ["Maha"],
    "أمل": ["Amal"],
    "أماني": ["Amani", "Amany"],
    "هند": ["Hind", "Hend"],
    "لمى": ["Lama"],
    "رنا": ["Rana"],
    "دانة": ["Dana", "Danah"],
    "لينا": ["Lina", "Leena"],
    "هيفاء": ["Haifa", "Hayfa"],
    "نجلاء": ["Najla", "Nagla"],
    "أسماء": ["Asma", "Asmaa"],
    "آلاء": ["Alaa"],
    "شيماء": ["Shaimaa", "Shaima"],
    "خلود": ["Kholoud", "Khulud"],
    "عبير": ["Abeer", "Abir"],
    "غادة": ["Ghada"],
    "سمر": ["Samar"],
    "سحر": ["Sahar"],
    "جود": ["Joud", "Jood"],
    "ليلى": ["Laila", "Layla", "Leila"],
    "زينب": ["Zainab", "Zeinab"],
    "رحاب": ["Rehab", "Rihab"],
    "هناء": ["Hana", "Hanaa"],
    "حنان": ["Hanan"],
    "وفاء": ["Wafa", "Wafaa"],
    "دعاء": ["Doaa", "Duaa"],
    "رغد": ["Raghad"],
    "بشرى": ["Bushra", "Boushra"],
    "سلمى": ["Salma"],
    "ياسمين": ["Yasmin", "Yasmeen"],
    "نادية": ["Nadia", "Nadya"],
}
FAMILY = {
    "الحربي": ["Al-Harbi", "Alharbi", "Al Harbi", "El-Harbi"],
    "القحطاني": ["Al-Qahtani", "Alqahtani", "Al Kahtani"],
    "العتيبي": ["Al-Otaibi", "Alotaibi", "Al-Otaiby"],
    "الشهري": ["Al-Shehri", "Ash-Shehri", "Alshehri", "Al-Shahri"],
    "الدوسري": ["Al-Dosari", "Aldossary", "Al-Dossari", "Ad-Dosari"],
    "الزهراني": ["Al-Zahrani", "Alzahrani", "Az-Zahrani"],
    "الغامدي": ["Al-Ghamdi", "Alghamdi"],
    "المطيري": ["Al-Mutairi", "Almutairi"],
    "الشمري": ["Al-Shammari", "Alshammari", "Ash-Shammari"],
    "العنزي": ["Al-Anazi", "Alenezi", "Al-Enezi"],
    "السبيعي": ["Al-Subaie", "Alsubaie"],
    "المالكي": ["Al-Maliki", "Almalki"],
    "التميمي": ["Al-Tamimi", "At-Tamimi", "Altamimi"],
    "الرشيد": ["Al-Rashid", "Ar-Rashid", "Alrasheed"],
    "الخالدي": ["Al-Khalidi", "Alkhaldi"],
    "البلوي": ["Al-Balawi", "Albalawi"],
    "الجهني": ["Al-Juhani", "Aljohani"],
    "العمري": ["Al-Omari", "Alamri"],
    "المصري": ["El-Masry", "Al-Masri", "Elmasry"],
    "الشريف": ["El-Sherif", "Al-Sharif"],
    "عبدالحميد": ["Abdel Hamid", "Abdelhamid", "Abdul Hamid"],
    "النجار": ["Al-Najjar", "El-Naggar"],
    "حداد": ["Haddad"],
    "خوري": ["Khoury", "Khouri"],
    "السيد": ["El-Sayed", "Al-Sayed", "Elsayed"],
    "عثمان": ["Othman", "Osman"],
    "الحسيني": ["Al-Husseini", "El-Husseiny"],
    "الكعبي": ["Al-Kaabi", "Alkaabi"],
    "النعيمي": ["Al-Nuaimi", "Al Nuaimi"],
    "الهاشمي": ["Al-Hashimi", "Alhashemi"],
    "درويش": ["Darwish", "Darweesh"],
    "قاسم": ["Qasim", "Kassem"],
}
# Names a sister or brother may carry that sound close: the hard cases for "a different person".
NEAR = [
    ("سعد", "سعود"),
    ("حسن", "حسين"),
    ("أحمد", "حمد"),
    ("محمد", "محمود"),
    ("حامد", "حمد"),
    ("نورة", "نوف"),
    ("أمل", "أماني"),
    ("هند", "هدى"),
    ("منى", "مها"),
    ("سمر", "سحر"),
    ("هناء", "حنان"),
    ("خالد", "خليل"),
    ("عبدالرحمن", "عبدالرحيم"),
    ("عبدالله", "عبدالإله"),
    ("عبدالعزيز", "عبدالكريم"),
    ("سلمان", "سلطان"),
    ("نايف", "نواف"),
    ("فهد", "فيصل"),
    ("ليلى", "لينا"),
    ("لمى", "لينا"),
    ("دانة", "رنا"),
    ("سارة", "سمر"),
    ("ماجد", "مازن"),
    ("سامر", "ثامر"),
    ("رامي", "راشد"),
    ("أسماء", "أسامة"),
    ("عادل", "عامر"),
    ("هشام", "هيثم"),
    ("وليد", "ياسر"),
    ("فاطمة", "فاطمه"),  # the last two: one name, two spellings; kept out below
]
NEAR = [(a, b) for a, b in NEAR if a in {**MALE, **FEMALE} and b in {**MALE, **FEMALE}]
# Arabic spellings of one name (hamza written or not, ة/ه, ى/ي, compound written apart, harakat).
ARABIC_VARIANTS = {
    "أحمد": "احمد",
    "إبراهيم": "ابراهيم",
    "أسامة": "اسامه",
    "أيمن": "ايمن",
    "فاطمة": "فاطمه",
    "سارة": "ساره",
    "نورة": "نوره",
    "هدى": "هدي",
    "مصطفى": "مصطفي",
    "يحيى": "يحيي",
    "عبدالله": "عبد الله",
    "عبدالرحمن": "عبد الرحمن",
    "عبدالعزيز": "عبد العزيز",
    "محمد": "مُحَمَّد",
    "عائشة": "عايشة",
    "آلاء": "الاء",
    "أمل": "امل",
    "أماني": "اماني",
    "دانة": "دانه",
    "عيسى": "عيسي",
    "ليلى": "ليلي",
}

GIVEN = {**MALE, **FEMALE}


def latin(arabic: str, rng: random.Random, table: dict[str, list[str]]) -> str:
    return rng.choice(table[arabic])


def arabic_variant(word: str, rng: random.Random) -> str:
    return ARABIC_VARIANTS.get(word, word) if rng.random() < 0.8 else word


def person(rng: random.Random, given: str | None = None) -> tuple[list[str], list[str]]:
    """(Arabic words, Latin words) of a full name: given [father] family."""
    given = given or rng.choice(list(GIVEN))
    family = rng.choice(list(FAMILY))
    arabic = [given]
    latin_words = [latin(given, rng, GIVEN)]
    if rng.random() < 0.4:
        father = rng.choice(list(MALE))
        arabic.append(father)
        latin_words.append(latin(father, rng, MALE))
    arabic.append(family)
    latin_words.append(latin(family, rng, FAMILY))
    return arabic, latin_words


def relatin(arabic: list[str], rng: random.Random) -> list[str]:
    return [latin(w, rng, GIVEN if w in GIVEN else FAMILY) for w in arabic]


def main() -> None:
    rng = random.Random(16)
    rows: list[tuple[str, str, int, str]] = []
    # --- the same person ---
    for _ in range(100):
        ar, la = person(rng)
        rows.append((" ".join(ar), " ".join(la), 1, "arabic registered, latin printed"))
    for _ in range(60):
        ar, la = person(rng)
        rows.append((" ".join(la), " ".join(arabic_variant(w, rng) for w in ar), 1, "latin registered, arabic printed"))
    for _ in range(50):
        ar, la = person(rng)
        rows.append((" ".join(la), " ".join(relatin(ar, rng)), 1, "latin both, another spelling"))
    for _ in range(30):
        ar, _la = person(rng)
        rows.append((" ".join(ar), " ".join(arabic_variant(w, rng) for w in ar), 1, "arabic both, another spelling"))
    # --- different people ---
    for i in range(120):  # sisters and brothers: one family name, near given names
        a, b = NEAR[i % len(NEAR)] if i < 2 * len(NEAR) else rng.sample(list(MALE if i % 2 else FEMALE), 2)
        ar, la = person(rng, given=a)
        other = [b, *ar[1:]]
        kind = "sibling, near given name" if i < 2 * len(NEAR) else "sibling"
        if i % 3 == 0:
            rows.append((" ".join(ar), " ".join(relatin(other, rng)), 0, f"{kind}: arabic registered, latin printed"))
        elif i % 3 == 1:
            rows.append((" ".join(la), " ".join(other), 0, f"{kind}: latin registered, arabic printed"))
        else:
            rows.append((" ".join(la), " ".join(relatin(other, rng)), 0, f"{kind}: latin both"))
    for i in range(60):  # one given name, another family
        ar, la = person(rng)
        family = rng.choice([f for f in FAMILY if f != ar[-1]])
        other = [*ar[:-1], family]
        if i % 2:
            rows.append(
                (" ".join(ar), " ".join(relatin(other, rng)), 0, "same given name, other family: arabic, latin")
            )
        else:
            rows.append((" ".join(la), " ".join(other), 0, "same given name, other family: latin, arabic"))
    for _ in range(20):  # the daughter registered, her father's certificate
        father = rng.choice(list(MALE))
        ar, la = person(rng, given=rng.choice(list(FEMALE)))
        family = ar[-1]
        rows.append((f"{ar[0]} {father} {family}", " ".join(relatin([father, family], rng)), 0, "father's name"))
    for _ in range(25):  # strangers
        ar, _ = person(rng)
        _, lb = person(rng)
        rows.append((" ".join(ar), " ".join(lb), 0, "another person"))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(("registered", "printed", "same", "kind"))
    writer.writerows(rows)


if __name__ == "__main__":
    main()
