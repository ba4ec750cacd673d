"""The demo's forums: a few categories and warm, plausible threads by the demo accounts, made through the forum
services. Safe to run twice: a category or thread that is already there is left alone."""

from dataclasses import dataclass, field

from community.accounts import services as accounts
from community.forums import services as forums
from community.moderation import services as moderation
from community.pages import services as pages


@dataclass(frozen=True)
class DemoThread:
    author: str  # a demo account's email
    title: str
    body: str
    replies: list[tuple[str, str]] = field(default_factory=list)  # (email, words)
    content_note: str = ""
    pinned: bool = False
    # (email of who reacts, number of the post, kind)
    reactions: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DemoCategory:
    name: str
    description: str
    threads: list[DemoThread]
    moderators_only: bool = False


ADMIN, MODERATOR, MEMBER = "admin@demo.test", "moderator@demo.test", "member@demo.test"

CATEGORIES = [
    DemoCategory("Introductions", "Say hello, and tell us as much or as little of your story as you like.", [
        DemoThread(ADMIN, "Welcome – start here", (
            "Welcome to the forums. This is a space for people living with a spinal CSF leak after a lumbar "
            "puncture, an epidural or spinal surgery, and for the people who care for them.\n\n"
            "A few things that help everyone:\n\n"
            "- Please read the [community guidelines](/guidelines) before your first post.\n"
            "- If your post talks about something hard, add a content note, so others can choose when to read it.\n"
            "- Most of us read lying down, a few minutes at a time. Short posts are welcome, and so is a late reply.\n"
            "- We are not doctors. Share what helped you, and take anything medical to your own team.\n\n"
            "If you are struggling right now, [help is here](/need-help)."),
            replies=[(MODERATOR, "Hello from the moderators. We read the forums every day. If a post worries you, "
                                 "or you are not sure where something belongs, just ask.")],
            pinned=True),
        DemoThread(MEMBER, "Hello from Leeds – eight months after an epidural", (
            "Hi everyone. I had an epidural when my daughter was born last spring, and the headache started two "
            "days later. It gets worse the longer I am upright and eases within a few minutes of lying down, which "
            "I now know is the classic pattern.\n\n"
            "I have had one blood patch so far. It helped for about a week. My MRI came back normal, which made "
            "me doubt myself for a long time, until I read on the resource hub that a normal MRI does not rule "
            "out a leak.\n\n"
            "I am writing this lying on the sofa. It is good to find people who get it."),
            replies=[
                (MODERATOR, "Welcome, Sam. Writing from the sofa is the house style here: you are in good company. "
                            "Eight months is a long time to keep going, and it sounds as if you have had to push to "
                            "be believed. We are glad you found us."),
                (ADMIN, "Welcome, Sam. The “Getting the care you need” page in the resource hub has a checklist "
                        "for appointments and tips on asking for a referral, if that would help."),
                (MEMBER, "Thank you both. I have printed the checklist for my next appointment."),
            ],
            reactions=[(MODERATOR, 1, "support"), (ADMIN, 1, "support"), (MODERATOR, 4, "thanks")]),
    ]),
    DemoCategory("Treatments and blood patches",
                 "Blood patches, fibrin sealant, surgery, and what helped you before and after.", [
        DemoThread(MODERATOR, "Questions to take to a blood patch appointment", (
            "Members have shared the questions they were glad they asked. In case they help you too:\n\n"
            "1. How long should I lie flat afterwards, and what should I avoid for the first few weeks?\n"
            "2. Who do I contact if the headache comes back, and how soon?\n"
            "3. If this patch does not work, what is the plan? Another patch, a patch with fibrin sealant, or a "
            "referral to a specialist centre?\n"
            "4. Will there be a follow-up appointment to check how it went?\n\n"
            "Add yours below."),
            replies=[(MEMBER, "I would add: can someone drive me home, and can I have a sick note for the week? "
                              "I did not think to ask the first time.")],
            reactions=[(MEMBER, 1, "thanks"), (MODERATOR, 2, "same")]),
        DemoThread(MEMBER, "My second blood patch: what helped in the first week", (
            "I had my second epidural blood patch ten days ago, so I wanted to write down what helped while I "
            "remember.\n\n"
            "- I arranged a lift home and stayed as flat as I could for the first day.\n"
            "- I kept a simple symptom diary: how long I could sit up each morning and evening. It made the "
            "follow-up appointment much easier.\n"
            "- No heavy lifting or bending for a while, which is hard with a toddler. My partner and my mum took "
            "turns.\n\n"
            "It is too early to say whether it has worked, but the mornings are better. Has anyone else needed "
            "more than one patch?"),
            replies=[
                (MODERATOR, "Thank you for writing this up, Sam. Many people need more than one patch, and some go "
                            "on to a patch with fibrin sealant or, less often, a surgical repair. It is worth "
                            "asking your team what the plan would be if the symptoms come back."),
                (MEMBER, "Thank you, Morgan. I will ask at my follow-up. Day twelve, and still better in the "
                         "mornings."),
            ],
            reactions=[(MODERATOR, 1, "support"), (ADMIN, 1, "same"), (ADMIN, 3, "support")]),
    ]),
    DemoCategory("Living with a leak",
                 "Day-to-day life: lying flat, work, family, sleep, and the small things that help.", [
        DemoThread(MODERATOR, "Small things that make lying flat easier", (
            "Let us gather the small things that help on flat days. Mine: a bottle with a sports cap and a bendy "
            "straw, audiobooks, and a phone stand that works lying down. What are yours?"),
            replies=[
                (MEMBER, "A wedge pillow for eating. Downloading podcasts the night before, so I do not have to hold "
                         "my phone up. And telling work plainly that I can join a video call lying down, camera "
                         "off."),
                (ADMIN, "An eye mask for the afternoons when the light is too much, and a list on the fridge of "
                        "easy jobs visitors can do, so nobody has to ask."),
            ],
            reactions=[(MEMBER, 1, "thanks"), (MODERATOR, 2, "same"), (ADMIN, 2, "same")]),
        DemoThread(MEMBER, "A harder week", (
            "This week has been hard. The headache has been worse and I have barely been upright. I missed my "
            "daughter's nursery concert, and I cried in the car park when my partner showed me the video.\n\n"
            "I am not really asking for anything. I just wanted to say it somewhere people understand."),
            content_note="low mood",
            replies=[(MODERATOR, "Thank you for telling us, Sam. Missing things like that hurts, and it makes sense "
                                 "that it hit you hard. You are not on your own with this. If things ever feel too "
                                 "much, the Samaritans are there any time on 116 123, and our "
                                 "[Need help now?](/need-help) page has more.")],
            reactions=[(MODERATOR, 1, "support"), (ADMIN, 1, "support")]),
    ]),
    DemoCategory("Moderators' room", "For the moderators: rotas, tricky threads, and looking after each other.", [
        DemoThread(MODERATOR, "Café hosting next month", (
            "Could we share hosting the Wednesday café next month? I can do the first two weeks. Alex, could you "
            "take the third and fourth?"),
            replies=[(ADMIN, "Yes, I will take the third and fourth. Thank you for doing the first two.")]),
    ], moderators_only=True),
]


def seed_forums() -> list[str]:
    """Make the demo's categories and threads that are not there yet; returns the titles of threads made."""
    people = {email: accounts.find_user_by_email(email) for email in (ADMIN, MODERATOR, MEMBER)}
    admin = people[ADMIN]
    for person in people.values():
        # They have all posted before: they agreed to the guidelines long ago.
        pages.accept_guidelines(person)
    existing = {category.name: category for category in forums.all_categories()}
    made = []
    for plan in CATEGORIES:
        category = existing.get(plan.name)
        if category is None:
            category = forums.create_category(admin, plan.name, plan.description, plan.moderators_only)
        titles = {row.thread.title for row in forums.category_threads(admin, category).rows}
        for thread_plan in plan.threads:
            if thread_plan.title not in titles:
                _make_thread(category, thread_plan, people)
                made.append(thread_plan.title)
    return made


def _approve_if_held(post, moderator) -> None:
    """The demo's member has posted for a while: what moderation holds of a newcomer's first posts, the demo's
    moderator approves at once, as they would have long ago (so the member is established, as DESIGN.md says)."""
    if post.state != "pending":
        return
    item = next(entry.item for entry in moderation.queue()
                if entry.item.kind == forums.REVIEW_KIND and entry.item.target_id == post.id)
    moderation.decide(moderator, item.id, item.version, "approve")


def _make_thread(category, plan: DemoThread, people: dict) -> None:
    author = people[plan.author]
    first = forums.create_thread(author, category, plan.title, plan.body, plan.content_note)
    _approve_if_held(first, people[MODERATOR])
    thread = forums.get_thread(author, first.thread_id)
    posts = {1: first.id}
    for number, (email, words) in enumerate(plan.replies, start=2):
        post = forums.create_post(people[email], thread, words)
        _approve_if_held(post, people[MODERATOR])
        posts[number] = post.id
    if plan.pinned:
        forums.set_thread_pinned(people[ADMIN], thread, True)
    for email, number, kind in plan.reactions:
        person = people[email]
        forums.toggle_reaction(person, forums.get_post(person, posts[number]), kind)
