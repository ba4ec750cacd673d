"""The demo member's lounge: three weeks of symptom diary with a blood patch in the middle (the chart shows the
change), two checklist steps done, and a referral letter half filled in, made through the lounge's services.
Safe to run twice: a member who already has diary entries is left alone."""

from datetime import timedelta

from community.accounts import services as accounts
from community.lounge import checklist, diary, letters

# (days ago, headache upright, lying, upright minutes, symptoms, treatment, notes)
DIARY = [
    (20, 8, 3, 15, ["neck_pain", "nausea", "hearing"], "", "Could only sit up for breakfast."),
    (18, 8, 2, 15, ["neck_pain", "hearing", "brain_fog"], "", ""),
    (16, 9, 3, 5, ["neck_pain", "nausea", "hearing", "vision"], "", "Worst day this month. Stayed flat."),
    (14, 7, 2, 15, ["neck_pain", "hearing", "brain_fog"], "", ""),
    (12, 8, 2, 15, ["neck_pain", "hearing"], "blood_patch", "Blood patch this morning, lying flat since."),
    (10, 5, 1, 60, ["hearing"], "", "Sat up for lunch without the headache building."),
    (8, 4, 1, 60, ["hearing", "brain_fog"], "", ""),
    (6, 4, 0, 120, ["brain_fog"], "", "Walked to the end of the road."),
    (4, 3, 0, 120, [], "", ""),
    (2, 5, 1, 60, ["neck_pain"], "", "Long day at the hospital: worse by the evening."),
    (1, 3, 0, 120, [], "", ""),
]


def seed_lounge() -> None:
    member = accounts.find_user_by_email("member@demo.test")
    if member is None or diary.latest_entry(member) is not None:
        return
    today = diary.today_for(member)
    for days_ago, upright, lying, minutes, symptoms, treatment, notes in DIARY:
        diary.save_entry(member, None, day=today - timedelta(days=days_ago), headache_upright=upright,
                         headache_lying=lying, upright_minutes=minutes, symptoms=symptoms, treatment=treatment,
                         treatment_details="At the district hospital" if treatment else "", notes=notes)
    checklist.save_checklist(member, {"keep_diary", "ask_imaging"},
                             {"ask_imaging": "MRI of the whole spine booked. Ask whether it includes the leak "
                                             "sequences.",
                              "ask_specialist": "Ask my GP about a referral if the patch does not hold."})
    letters.save_letter(member, None, "specialist-referral", {
        "your_name": member.display_name, "clinician": "Dr Jane Smith",
        "procedure": "a lumbar puncture", "procedure_date": "March 2026",
        "symptoms": "A headache at the back of my head, neck pain, ringing in my ears and trouble concentrating.",
        "upright_vs_lying": "The headache starts within 15 minutes of sitting up and eases after lying flat for "
                            "half an hour.",
        "request": "a referral to a specialist centre with experience of spinal CSF leaks"})
