"""Offline text corpora for bench/speed.py: LoCoMo turns and questions, and templated facts.

Everything here is deterministic (seeded) and needs no network.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ../shared next to the checkout, or next to the folder of worktrees (/work/wt/<name>)
LOCOMO = next((d / "shared" / "data" / "locomo-dev.json" for d in (HERE.parent.parent, HERE.parent.parent.parent)
               if (d / "shared" / "data" / "locomo-dev.json").exists()), HERE.parent.parent / "shared" / "data" / "locomo-dev.json")

NAMES = """Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Karl Laura Mallory Nina Oscar Peggy
Quentin Rita Sybil Trent Ursula Victor Wendy Xavier Yolanda Zach Amir Bea Chen Dara Elif Farah
Goran Hana Ines Jonas Kenji Lena Mateo Noor Olga Pavel Rosa Sanjay Tomas Uma Vera Wei Yusuf Zoe
Caroline Melanie Joanna Nate Tim John Maria Gina Jon Audrey Andrew""".split()
CITIES = """Paris Lisbon Oslo Nairobi Lima Kyoto Seoul Toronto Denver Austin Dublin Prague Vienna Warsaw
Cairo Accra Dakar Quito Bogota Santiago Sydney Perth Auckland Hanoi Manila Jakarta Mumbai Pune
Delhi Dhaka Tehran Istanbul Athens Naples Milan Madrid Porto Seville Lyon Geneva Zurich Munich
Hamburg Bergen Helsinki Riga Tallinn Vilnius Krakow Budapest""".split()
THINGS = """jazz chess hiking pottery sushi football cycling poetry gardening photography knitting
climbing sailing baking painting yoga running swimming surfing skiing birdwatching astronomy
origami calligraphy woodworking fishing camping karaoke salsa tango opera ballet podcasts
sudoku crosswords kayaking archery fencing rowing boxing judo""".split()
FOODS = """ramen lasagna tacos paella curry dumplings pho falafel risotto goulash pierogi borscht
ceviche bibimbap couscous shakshuka moussaka gnocchi burritos kimchi""".split()
JOBS = """nurse teacher plumber architect chef pilot lawyer baker engineer librarian dentist
carpenter journalist designer accountant pharmacist firefighter electrician translator""".split()
INSTRUMENTS = "piano violin guitar cello drums flute saxophone trumpet harp ukulele clarinet banjo".split()
PETS = "dog cat parrot rabbit hamster turtle goldfish ferret iguana horse".split()
PET_NAMES = "Max Luna Bella Milo Coco Rocky Daisy Oliver Pepper Ziggy Biscuit Nala Simba Toby".split()
DRINKS = "tea coffee cocoa kombucha matcha chai espresso juice lemonade smoothies".split()
TOPICS = """history physics gardening economics philosophy astronomy cooking psychology
architecture biology music theory ancient Rome climate change jazz history bird migration""".split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday weekend morning evening".split()
SEASONS = "spring summer autumn winter".split()

TEMPLATES = [
    "{name} likes {thing} in {city}.",
    "{name} moved to {city} in {year}.",
    "{name}'s favourite food is {food}, especially the one from a small place in {city}.",
    "{name} works as a {job} in {city}.",
    "{name} is learning to play the {instrument} and practises every {day}.",
    "{name} has a {pet} called {petname}.",
    "{name} visited {city} with {name2} last {season}.",
    "{name} prefers {drink} over {drink2} in the morning.",
    "{name} is reading a book about {topic}.",
    "{name} goes {thing} every {day} with {name2}.",
    "{name} and {name2} met at a {thing} club in {city} in {year}.",
    "{name} wants to open a {food} restaurant in {city} one day.",
    "{name} is allergic to {pet}s, so {name2} keeps {petname} at home.",
    "{name} gave up {thing} after an injury in {year} and took up {thing2} instead.",
]


def locomo_samples() -> list[dict]:
    return json.loads(LOCOMO.read_text())


def turn_text(turn: dict) -> str:
    text = f"{turn.get('speaker', '')}: {turn.get('text', '')}"
    if turn.get("blip_caption"):
        text += f" [shared an image: {turn['blip_caption']}]"
    return text


def locomo_turns() -> list[str]:
    """Distinct turn texts of all samples, in dialogue order."""
    out: dict[str, None] = {}
    for sample in locomo_samples():
        conv = sample["conversation"]
        numbers = sorted(int(m.group(1)) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)))
        for n in numbers:
            for turn in conv.get(f"session_{n}") or []:
                out.setdefault(turn_text(turn), None)
    return list(out)


def locomo_questions() -> list[str]:
    out: dict[str, None] = {}
    for sample in locomo_samples():
        for qa in sample["qa"]:
            out.setdefault(str(qa["question"]).strip(), None)
    return [q for q in out if q]


def templated_facts(n: int, seed: int = 7, exclude: set[str] | None = None) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set(exclude or ())
    out: list[str] = []
    while len(out) < n:
        name, name2 = rng.sample(NAMES, 2)
        thing, thing2 = rng.sample(THINGS, 2)
        drink, drink2 = rng.sample(DRINKS, 2)
        text = rng.choice(TEMPLATES).format(
            name=name, name2=name2, thing=thing, thing2=thing2, city=rng.choice(CITIES),
            year=rng.randrange(1995, 2025), food=rng.choice(FOODS), job=rng.choice(JOBS),
            instrument=rng.choice(INSTRUMENTS), day=rng.choice(DAYS), pet=rng.choice(PETS),
            petname=rng.choice(PET_NAMES), season=rng.choice(SEASONS), drink=drink, drink2=drink2,
            topic=rng.choice(TOPICS),
        )
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def base_texts(n: int) -> list[str]:
    """n distinct real sentences: LoCoMo turns first, then templated facts."""
    turns = locomo_turns()[:n]
    return turns + templated_facts(n - len(turns), exclude=set(turns))
