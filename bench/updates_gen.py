"""Writes the update benchmark's conversations (issue 23): people whose facts change across dated
sessions while others stay. Two disjoint pools of phrasings: ``dev`` (looked at while tuning the
detector) and ``heldout`` (written at the same time, never looked at while tuning; run at the end).

    python bench/updates_gen.py   # writes bench/data/updates-{dev,heldout,dev2,heldout2,dev3,heldout3}.jsonl

Each line is one person: {"person", "sessions": [{"date", "format", "turns": [[role, text], ...]}],
"changed": [{"attribute", "old", "new"}], "unchanged": [{"attribute", "key"}]}. ``old``/``new``/
``key`` are words that identify a memory of that fact (a value, a name).
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

NAMES = ["Priya", "Tomas", "Ines", "Kofi", "Mei", "Lukas", "Amara", "Jonas", "Sofia", "Ravi", "Elena", "Malik",
         "Hanna", "Diego", "Yuki", "Omar", "Clara", "Nikhil", "Freya", "Mateo", "Zara", "Felix", "Leila", "Bruno"]
CITIES = ["Berlin", "Lisbon", "Madrid", "Oslo", "Vienna", "Toronto", "Melbourne", "Dublin", "Prague", "Seattle",
          "Austin", "Lyon", "Porto", "Zurich", "Denver", "Utrecht", "Krakow", "Nairobi"]
COMPANIES = ["Kontora", "Brightline", "Norvex", "Helio Labs", "Quanta", "Tidewell", "Orbis", "Fernhill", "Corvid",
             "Stellar Freight", "Pinemark", "Lumen Health"]
ROLES = ["data engineer", "product designer", "nurse", "backend developer", "accountant", "teacher", "UX researcher"]
DIETS = [("vegetarian", "fish"), ("vegan", "cheese"), ("pescatarian", "chicken")]
TOOLS = [("FastAPI", "Django"), ("React", "Svelte"), ("VS Code", "Neovim"), ("Notion", "Obsidian"),
         ("Heroku", "Fly.io"), ("MySQL", "PostgreSQL"), ("Jenkins", "GitHub Actions")]
TRIPS = [("Tokyo", "Seoul"), ("Iceland", "Norway"), ("Peru", "Chile"), ("Bali", "Vietnam"), ("Morocco", "Egypt"),
         ("Kyoto", "Osaka")]
LANGS = [("Spanish", "Duolingo", "a private tutor"), ("Italian", "Babbel", "an evening class"),
         ("Japanese", "an app", "a language exchange partner"), ("German", "Duolingo", "a weekly tutor")]
COMMUTE = [("drive", "car", "train"), ("take the bus", "bus", "bike"), ("cycle", "bike", "subway")]
HOBBIES = [("tennis", "bouldering"), ("running", "swimming"), ("chess", "pottery"), ("guitar", "piano")]
DRINKS = [("coffee", "green tea"), ("espresso", "matcha")]
ALLERGIES = ["peanuts", "shellfish", "penicillin", "cats", "pollen"]
PETS = [("cat", "Miso"), ("dog", "Pepper"), ("cat", "Biscuit"), ("dog", "Juno"), ("rabbit", "Clover")]
SIBLINGS = [("sister", "Ana"), ("brother", "Marco"), ("sister", "Lena"), ("brother", "Sami")]
CARS = [("Toyota", "Tesla"), ("Volvo", "Skoda"), ("Honda", "Kia"), ("Fiat", "Peugeot")]
SCHOOLS = [("Uppsala", "Leiden", "history"), ("Bocconi", "Sorbonne", "economics"), ("Imperial", "Edinburgh", "physics")]
TITLES = [("intern", "analyst"), ("developer", "architect"), ("cashier", "supervisor"), ("assistant", "editor")]
PARTNERS = [("Jordan", "Robin"), ("Noah", "Elif"), ("Chris", "Maya"), ("Tariq", "Nadia")]
BIRTH = ["1988", "1991", "1994", "1985", "1979"]

# (attribute, first statement, change statement); {a} old value, {b} new value, {x} extra.
DEV = {
    "home": (["I live in {a} with my partner.", "I've been living in {a} for about three years now."],
             ["Big news: I moved to {b} last month!", "I relocated from {a} to {b} in the spring."]),
    "work": (["I work as a {x} at a company called {a}.", "I'm a {x} at {a}."],
             ["I left {a} and joined {b} as a {x}.", "I quit {a}, I'm at {b} now."]),
    "diet": (["I'm {a}, so no meat for me.", "I've been {a} for years."],
             ["I'm not {a} anymore, I eat {b} now.", "I stopped being {a}, I eat {b} again."]),
    "tool": (["I'm using {a} for my side project.", "My side project runs on {a}."],
             ["Scratch {a}, I'm using {b} for the side project now.", "I switched the side project from {a} to {b}."]),
    "trip": (["We're planning a trip to {a} in October.", "We booked flights to {a} for the autumn."],
             ["We decided against {a}, we're going to {b} instead.", "We cancelled {a} and are going to {b} in the autumn instead."]),
    "learning": (["I'm learning {x} with {a}.", "I practise {x} on {a} every day."],
                 ["I switched from {a} to {b} for my {x}.", "I dropped {a}, I learn {x} with {b} now."]),
    "commute": (["I go to work by {a} every day.", "I commute to the office by {a}."],
                ["I don't commute by {a} anymore, I take the {b} now.", "I switched my commute from the {a} to the {b}."]),
    "hobby": (["I play {a} on weekends.", "{A} is my weekend hobby."],
              ["I gave up {a} and started {b}.", "I don't do {a} anymore, I'm into {b} now."]),
    "drink": (["I drink {a} every morning.", "I can't start the day without {a}."],
              ["I quit {a}, I drink {b} in the mornings now.", "I replaced my morning {a} with {b}."]),
}
HELDOUT = {
    "home": (["My flat is in {a}, close to the river.", "Home for me is {a}, I rent a small apartment there."],
             ["These days I'm based in {b}, the move went smoothly.", "I packed up and left {a}; my new place is in {b}.",
              "We finally settled in {b} after leaving {a}."]),
    "work": (["My employer is {a}, where I'm a {x}.", "I've been at {a} for two years as a {x}."],
             ["I handed in my notice at {a} and started at {b}.", "I no longer work for {a}, {b} hired me as a {x}.",
              "My new job is at {b}, I said goodbye to {a}."]),
    "diet": (["I follow a {a} diet.", "Being {a} matters a lot to me."],
             ["I gave up being {a}, I started eating {b} again.", "I'm no longer {a}; {b} is back on my plate."]),
    "tool": (["For the side project I rely on {a}.", "I built my side project with {a}."],
             ["I've moved the side project off {a} and onto {b}.", "I replaced {a} with {b} in my side project.",
              "Goodbye {a}: my side project uses {b} from now on."]),
    "trip": (["Our big trip this year is {a}, we're going in October.", "I'm saving up for a trip to {a} in the autumn."],
             ["Change of plans: {b} instead of {a} for our trip.", "We're not doing {a} after all, we picked {b} for the trip.",
              "The {a} trip is off, we're travelling to {b}."]),
    "learning": (["I've been studying {x} using {a}.", "For {x} I use {a} most evenings."],
                 ["I stopped using {a}, now I have {b} for {x}.", "I ditched {a} and signed up with {b} to learn {x}."]),
    "commute": (["My commute is by {a}, about forty minutes.", "I get to work by {a}."],
                ["I sold my {a} and now I ride the {b} to work.", "I no longer go to work by {a}, the {b} is faster."]),
    "hobby": (["I've been into {a} since university.", "Most Saturdays I do {a} with friends."],
              ["I lost interest in {a}; {b} is my thing now.", "I quit {a} last spring and took up {b}."]),
    "drink": (["I have a cup of {a} every morning.", "Mornings are {a} for me."],
              ["I cut out {a}, it's {b} every morning now.", "I don't touch {a} any more, I switched to {b}."]),
}
# A second round (written together, after the first held-out figure): more varied phrasings to tune
# on (dev2), and a fresh held-out pool (heldout2) not looked at while tuning.
DEV2 = {
    "home": (["Our place is in {a}, we love the neighbourhood.", "I've lived in {a} since college."],
             ["We swapped {a} for {b} over the summer.", "I'm a {b} resident now, {a} was getting too pricey.",
              "After five years in {a} I finally moved to {b}."]),
    "work": (["I'm employed at {a} as a {x}.", "At {a} I work as a {x}."],
             ["{b} offered me a role and I took it, so I'm done with {a}.", "I resigned from {a}; I start at {b} on Monday.",
              "I've joined {b}, leaving {a} behind."]),
    "diet": (["I stick to a strictly {a} diet.", "I eat {a}, always have."],
             ["I've started eating {b} again, so I'm not {a} now.", "Turns out I'm done with being {a}, I eat {b} now."]),
    "tool": (["All my side project's code is on {a}.", "The side project is built with {a}."],
             ["We rewrote the side project in {b}, {a} is gone.", "I'm trying {b} instead of {a} for the side project.",
              "The side project now runs on {b} rather than {a}."]),
    "trip": (["This autumn we'll visit {a}.", "We're flying to {a} in October."],
             ["We're heading to {b} in October, not {a}.", "Forget {a}; the autumn trip is to {b} now.",
              "Plans changed, the trip is {b} and {a} is off."]),
    "learning": (["My {x} lessons are with {a}.", "I learn {x} through {a}."],
                 ["I'm learning {x} with {b} these days, {a} wasn't working.", "{b} replaced {a} for my {x} practice."]),
    "commute": (["I ride the {a} to work.", "Work is a forty-minute trip by {a}."],
                ["I've been taking the {b} to work since the {a} broke down.", "I switched to the {b} for my commute, no more {a}."]),
    "hobby": (["My hobby is {a}.", "I spend Sundays on {a}."],
              ["{A} is not for me anymore, I picked up {b}.", "These days my free time goes to {b}, I left {a} behind."]),
    "drink": (["My morning drink is {a}.", "I'm a big {a} drinker."],
              ["I've swapped {a} for {b}.", "No more {a} for me, I'm on {b} now."]),
}
HELDOUT2 = {
    "home": (["I rent a place in {a}.", "My home is in {a}, near the old town."],
             ["I live in {b} now, I left {a} in March.", "We moved out of {a}, we're in {b} these days.",
              "I said goodbye to {a} and settled down in {b}."]),
    "work": (["I work for {a}, I'm a {x} there.", "My job is {x} at {a}."],
             ["I changed jobs: {b} instead of {a}.", "I'm not at {a} anymore, I work for {b}.",
              "{A} let me go, so now I'm a {x} at {b}."]),
    "diet": (["I've been {a} for a decade.", "I'm strictly {a}."],
             ["I eat {b} now, being {a} didn't suit me.", "I quit being {a} and eat {b} these days."]),
    "tool": (["My side project depends on {a}.", "I wrote my side project on top of {a}."],
             ["I migrated my side project from {a} to {b}.", "Out with {a}, my side project is on {b} now.",
              "My side project switched over to {b}, {a} was too slow."]),
    "trip": (["We have a trip to {a} booked for the autumn.", "In October we're going to {a}."],
             ["Our trip moved from {a} to {b}.", "The autumn trip is going to be {b}, we dropped {a}."]),
    "learning": (["I study {x} with {a}.", "{A} is how I learn {x}."],
                 ["I gave up on {a}; {b} helps me with {x} now.", "For {x}, I've switched to {b} from {a}."]),
    "commute": (["I travel to work by {a}.", "My {a} gets me to the office."],
                ["My commute is by {b} now, I stopped using the {a}.", "I ditched the {a}, the {b} is how I get to work."]),
    "hobby": (["{A} keeps me busy on weekends.", "I really enjoy {a} on Saturdays."],
              ["I stopped {a}; I do {b} on weekends now.", "My weekends are all about {b} now, no more {a}."]),
    "drink": (["Every morning I have {a}.", "{A} is my morning ritual."],
              ["I switched my morning {a} for {b}.", "My mornings are {b} now, I dropped {a}."]),
}
# A third round (issue 23, helper "updates", second pass), written together before any tuning on
# it: dev3 to tune on, heldout3 never looked at (only its totals are printed). Varied ways of
# telling a change: verbs of change, a negated past state, a contrast with an earlier plan, a new
# value for the same attribute, said in passing, other tenses and the passive, several clauses.
DEV3 = {
    "home": (["I'm living in {a} at the moment.", "We bought a small house in {a} last year.",
              "My apartment in {a} is tiny but cosy."],
             ["Since the summer my address has been in {b}.", "I haven't lived in {a} since June; {b} is home now.",
              "We were going to stay in {a}, but we ended up buying a place in {b}.",
              "The lease in {a} ran out and I found a flat in {b}."]),
    "work": (["I'm a {x} and I work at {a}.", "I got a job at {a} as a {x} two years ago."],
             ["I was hired by {b} in May, after four years at {a}.", "I'm not with {a} anymore; these days I'm a {x} at {b}.",
              "Since I moved over to {b}, work has been calmer than at {a}.",
              "My last day at {a} was Friday and I'm starting at {b} next week."]),
    "diet": (["I don't eat meat, I'm {a}.", "As a {a}, I cook most of my meals at home."],
             ["I used to be {a}, but now I eat {b} a few times a week.", "Being {a} was hard to keep up, so I eat {b} again.",
              "I've gone back to eating {b}; the {a} phase is over."]),
    "tool": (["I'm building my side project with {a}.", "My side project's backend is {a}."],
             ["My side project was ported from {a} to {b} last week.",
              "We had planned to keep {a}, but the side project runs on {b} now.",
              "I'm done with {a} for the side project and went with {b}.",
              "After a lot of trouble with {a}, I moved the side project to {b}."]),
    "trip": (["In October we're flying to {a} for two weeks.", "Our autumn holiday will be in {a}."],
             ["The trip to {a} fell through, so we booked {b} for October.",
              "We were going to go to {a} but chose {b} in the end.", "It's {b} for our autumn holiday now, not {a}."]),
    "learning": (["I've been learning {x} on {a} for months.", "My {x} practice happens on {a}."],
                 ["I cancelled my {a} subscription and now see {b} for {x}.",
                  "{A} didn't help much, so I switched my {x} learning to {b}.",
                  "For {x} I no longer rely on {a}; I work with {b} instead."]),
    "commute": (["I take the {a} to the office every day.", "Getting to work means a long ride by {a}."],
                ["Since spring I've been commuting by {b} instead of the {a}.", "I gave the {a} up and go to work by {b} now.",
                 "My daily commute changed: the {b}, not the {a}."]),
    "hobby": (["On weekends I love {a}.", "{A} has been my hobby for years."],
              ["I haven't done {a} since March; I took up {b} instead.", "Lately {b} has replaced {a} as my weekend hobby.",
               "I'm no longer into {a}, I've started {b}."]),
    "drink": (["My mornings start with {a}.", "I drink a lot of {a}, especially in the morning."],
              ["I cut back on {a} and drink {b} in the morning now.", "I used to drink {a} every morning; now it's {b}.",
               "These days I have {b} in the morning rather than {a}."]),
}
HELDOUT3 = {
    "home": (["Home is a flat in {a}.", "I share an apartment in {a} with two friends."],
             ["We've relocated to {b}; {a} feels like a long time ago.", "I was living in {a} until April, now I'm in {b}.",
              "The new flat in {b} is bigger than my old one in {a}.",
              "My partner got a job in {b}, so we left {a} and moved there."]),
    "work": (["I earn my living as a {x} at {a}.", "I've worked at {a} as a {x} since 2021."],
             ["{B} made me an offer and I left {a} for it.", "I stopped working at {a} in the spring; I'm a {x} at {b} now.",
              "These days my employer is {b}, not {a}.", "I'm now a {x} at {b}, having quit {a}."]),
    "diet": (["I've eaten {a} food for most of my life.", "I keep a {a} diet."],
             ["I'm eating {b} again, so I'm no longer {a}.", "The {a} diet is behind me; I have {b} regularly now.",
              "I decided to stop being {a} and eat {b} again."]),
    "tool": (["My side project is written with {a}.", "I picked {a} for my side project."],
             ["I've switched the side project over to {b} and removed {a}.", "{A} is out of my side project; it uses {b} now.",
              "My side project is on {b} now, having left {a} behind."]),
    "trip": (["We've planned a two-week trip to {a} for October.", "We're hoping to see {a} this autumn."],
             ["We're going to {b} this autumn rather than {a}.", "Our October trip isn't {a} anymore, it's {b}.",
              "After thinking it over we chose {b} over {a} for the trip."]),
    "learning": (["I'm practising {x} with {a}.", "{A} is what I use to learn {x}."],
                 ["I've moved my {x} learning from {a} to {b}.", "I don't use {a} for {x} any more, {b} works better.",
                  "Now I learn {x} with {b}; I left {a}."]),
    "commute": (["I usually get to the office by {a}.", "Each day I go to work by {a}."],
                ["I've been going to work by {b} since I stopped taking the {a}.",
                 "The {a} is no longer how I commute, I use the {b}.", "I now commute by {b} rather than {a}."]),
    "hobby": (["I spend my free time on {a}.", "My favourite pastime is {a}."],
              ["{A} was my thing for years, but now it's {b}.", "I dropped {a} and I've been doing {b} every weekend.",
               "I took up {b} after I quit {a}."]),
    "drink": (["Each morning begins with {a} for me.", "I'm a {a} person in the mornings."],
              ["I switched from {a} to {b} for my mornings.", "Mornings are for {b} now that I've stopped drinking {a}.",
               "I no longer have {a} in the morning, just {b}."]),
}
# A fourth dev pool (after heldout3's first totals, to find general failure kinds without looking at
# any held-out item): a new value said plainly with "now", the old value as the sentence's subject,
# the passive, a reason clause, a comparison, the change as a noun phrase.
DEV4 = {
    "home": (["I've got a one-bedroom in {a}.", "{A} has been my home for six years."],
             ["I'm in {b} these days.", "{B} is where I live now, not {a}.",
              "We had to leave {a} when the rent went up; we're renting in {b}.",
              "Moving to {b} was the best decision, I don't miss {a}."]),
    "work": (["I'm on the data team at {a}.", "I do {x} work for {a}."],
             ["{A} laid me off, and {b} picked me up as a {x}.", "I accepted an offer from {b}; my time at {a} is over.",
              "Working at {b} is so different from {a}.", "I've been a {x} at {b} since I resigned from {a}."]),
    "diet": (["I haven't eaten meat in years, I'm {a}.", "My diet is {a}."],
             ["I eat {b} these days, which means I'm no longer {a}.", "My {a} days are over; I have {b} now.",
              "{B} is back in my diet."]),
    "tool": (["My side project's stack is {a}.", "I deploy my side project with {a}."],
             ["The side project moved to {b}; {a} was holding it back.", "{A} got replaced by {b} in the side project.",
              "I'm porting the side project to {b} and dropping {a}."]),
    "trip": (["We're thinking about {a} for October.", "We've got tickets to {a} for the autumn."],
             ["October will be {b}, since {a} got too expensive.", "We've switched our October destination to {b}.",
              "Instead of {a}, the October trip will be to {b}."]),
    "learning": (["{A} is my {x} teacher.", "I do my {x} lessons on {a}."],
                 ["My {x} lessons are with {b} now.", "These days {b} is teaching me {x}; I cancelled {a}.",
                  "{A} is history, I learn {x} with {b}."]),
    "commute": (["I'm a {a} commuter.", "I rely on the {a} to get to work."],
                ["I commute by {b} now.", "The {b} has become my way to work, the {a} is gone.",
                 "I haven't taken the {a} to work in months, I use the {b}."]),
    "hobby": (["{A} is what I do to relax.", "I'm really into {a}."],
              ["{B} is my new hobby; {a} got boring.", "I've swapped {a} for {b} on weekends.",
               "My hobby these days is {b}, I quit {a}."]),
    "drink": (["I have {a} with breakfast.", "I need my {a} every morning."],
              ["I have {b} with breakfast now.", "{B} took the place of {a} in my mornings.",
               "No {a} anymore, only {b} in the morning."]),
}
DEV5 = {  # helper "recall": written before any tuning on it; other attributes and ways of telling a change
    "home": (["Home is {a} for now.", "My flat is in {a}, near the river.", "I rent a small place in {a}."],
             ["We ended up buying a house in {b}.", "After the move, {b} feels like home; {a} never did.",
              "I no longer live in {a}; the new flat in {b} is much bigger.", "Packing up in {a} was hard, but {b} is lovely.",
              "The new place in {b} is far quieter than {a} was."]),
    "work": (["My employer is {a}.", "I joined {a} as a {x} two years ago."],
             ["{A} and I parted ways, I start at {b} on Monday.", "I handed in my notice at {a}; {b} hired me as a {x}.",
              "These days I work for {b}.", "I turned down a promotion at {a} and went to {b} instead.",
              "Turns out {b} pays better than {a}, so I made the jump."]),
    "diet": (["I eat a {a} diet.", "I'm strictly {a}."],
             ["I gave up on being {a}; {b} is on my plate again.", "I started eating {b} last month, so {a} is behind me.",
              "Being {a} didn't work for me, I eat {b} now.", "I used to be {a}, but now I eat {b}."]),
    "tool": (["I write my notes in {a}.", "{A} is what I use for the side project.", "I'm a big fan of {a}."],
             ["I switched over to {b}.", "I've migrated everything from {a} over to {b}.",
              "{B} is my main tool now; I uninstalled {a}.", "I've stopped using {a}, {b} does the job better.",
              "The side project now runs on {b} rather than {a}."]),
    "trip": (["Our summer trip is to {a}.", "We hope to visit {a} next summer.", "I'm saving up for {a}."],
             ["Change of plans: we're flying to {b} this summer.", "The summer trip turned into a trip to {b}.",
              "{A} is off the table, we picked {b}.", "We chose {b} over {a} for the summer.",
              "Our destination is now {b}."]),
    "learning": (["I take {x} lessons with {a}.", "I'm picking up {x} through {a}."],
                 ["I've moved my {x} practice to {b}.", "{A} wasn't helping, so I signed up with {b} for {x}.",
                  "I study {x} with {b} these days.", "I stopped the {x} lessons with {a} and found {b}."]),
    "commute": (["I get to work by {a}.", "The {a} is how I get to the office."],
                ["Ever since the {a} broke down I go to work by {b}.", "I sold the {a}; the {b} gets me to work now.",
                 "Nowadays I ride the {b} to the office.", "I've traded the {a} for the {b} on my commute."]),
    "hobby": (["I love {a}.", "Weekends are for {a}.", "I spend my free time on {a}."],
              ["I don't have time for {a} anymore, but I've taken up {b}.", "{B} has taken over my weekends.",
               "Lately I'm all about {b}.", "I lost interest in {a}; now it's {b} every Saturday.",
               "I picked up {b} after I gave up {a}."]),
    "drink": (["I'm a {a} person.", "Every morning starts with {a}."],
              ["I cut out {a} completely and drink {b}.", "My doctor told me to skip {a}, so it's {b} now.",
               "Mornings mean {b} for me these days.", "I've switched over from {a} to {b}."]),
    "car": (["I drive a {a}.", "My car is an old {a}."],
            ["I traded in the {a} for a {b}.", "We got a {b}, the {a} is sold.", "My new car is a {b}.",
             "The {a} finally died, so I bought a {b}."]),
    "school": (["I'm a student at {a}.", "I study {x} at {a}."],
               ["I transferred from {a} to {b}.", "I'm finishing my {x} degree at {b} now.",
                "I got into {b} and dropped out of {a}.", "{B} accepted me, so I'm leaving {a}."]),
    "role": (["I'm a {a} at my company.", "My title is {a}."],
             ["I got promoted from {a} to {b}.", "I'm a {b} now.", "They made me {b} last week.",
              "I'm not a {a} any more, my new title is {b}."]),
    "partner": (["My partner is {a}.", "I'm dating {a}."],
                ["{A} and I broke up; I'm seeing {b} now.", "I split up with {a} in the spring.",
                 "My girlfriend is {b} these days.", "I'm with {b} now, {a} and I ended things."]),
}
STAY_DEV = ["I'm allergic to {allergy}.", "My {pet} is called {pet_name}.", "My {sibling} {sibling_name} lives in {sibling_city}.",
            "I was born in {birth}."]
STAY_HELDOUT = ["I have a {allergy} allergy, so I always check labels.", "I have a {pet} named {pet_name}.",
                "{sibling_name}, my {sibling}, has lived in {sibling_city} for years.", "I'm a {birth} baby."]
STAY_DEV3 = ["I've been allergic to {allergy} since I was a child.", "{pet_name}, my {pet}, sleeps on my desk.",
             "My {sibling} {sibling_name} is based in {sibling_city}.", "I was born back in {birth}."]
STAY_HELDOUT3 = ["Because of my {allergy} allergy I carry medication.", "We adopted a {pet} called {pet_name}.",
                 "{sibling_name} is my {sibling} and lives in {sibling_city}.", "My birth year is {birth}."]
RESTATE = {"dev": "As I said, I'm allergic to {allergy}.", "heldout": "Still the {allergy} allergy, nothing new there.",
           "dev3": "Nothing changed with my {allergy} allergy.",
           "dev4": "My {allergy} allergy hasn't gone away.", "heldout3": "I'm still allergic to {allergy}, of course."}
DEV6 = {  # helper "current": written before any tuning on it; new people, three new attributes (phone, gym, band)
    "home": (["I share a flat in {a} with two friends.", "Our house in {a} has a tiny garden."],
             ["Since March my address is in {b}.", "I've been a {b} resident since the summer.",
              "I sold the house in {a} and bought one in {b}.", "{B} is my home base now."]),
    "work": (["I'm employed at {a} as a {x}.", "At {a} I work as a {x}."],
             ["Last Friday was my final day at {a}; on Monday I begin at {b}.", "Work-wise I'm at {b} now.",
              "{B} poached me from {a}.", "I signed a contract with {b}, so {a} is behind me."]),
    "diet": (["No meat for me, I'm {a}.", "I've kept a {a} diet since college."],
             ["I've been eating {b} again for a few weeks.", "My {a} phase ended in the spring; I have {b} regularly.",
              "I dropped the {a} thing, {b} is fine by me now."]),
    "tool": (["My notes live in {a}.", "{A} is my daily driver for the side project."],
             ["Out with {a}, in with {b}.", "These days the side project is on {b}.",
              "{B} has taken {a}'s spot in my workflow."]),
    "trip": (["In August we're off to {a}.", "Our honeymoon will be in {a}."],
             ["August is {b} now, not {a}.", "We rebooked: {b} in August.", "Our honeymoon plans shifted to {b}.",
              "Forget {a}, it's {b} this August."]),
    "learning": (["Every Tuesday I have {x} class with {a}.", "I learn {x} through {a}."],
                 ["My {x} now comes from {b}.", "{B} is my {x} teacher these days.",
                  "I left {a} behind and continue my {x} with {b}."]),
    "commute": (["My {a} gets me to work.", "I ride the {a} to the office."],
                ["Since spring I take the {b} to work.", "The {a} is parked for good; I go to work by {b}.",
                 "My way to the office is the {b} now."]),
    "hobby": (["{A} keeps me sane.", "Most evenings I do {a}."],
              ["I haven't touched {a} in months; {b} is my thing now.", "My new obsession is {b}.",
               "{A} has been replaced by {b} in my free time."]),
    "drink": (["I start every day with {a}.", "{A} gets me going in the morning."],
              ["I kicked the {a} habit, I have {b} instead.", "{B} is my morning drink now.",
               "I've exchanged my morning {a} for {b}."]),
    "car": (["I own a {a}.", "We have a {a} for the weekends."],
            ["The {a} is gone; I drive a {b} now.", "I upgraded to a {b}.", "Our {a} got swapped for a {b}."]),
    "school": (["I'm enrolled at {a}.", "I'm doing {x} at {a}."],
               ["I'm now a {b} student.", "I left {a} for {b}.", "Next term I continue at {b} instead of {a}."]),
    "role": (["I work as a {a}.", "Officially I'm a {a}."],
             ["I moved up to {b}.", "My role changed from {a} to {b}.", "Since the reorg I'm a {b}."]),
    "partner": (["I've been with {a} for three years.", "{A} is my boyfriend."],
                ["{A} and I separated; {b} and I are together now.", "I'm in a relationship with {b} now.",
                 "{B} is my partner now."]),
    "phone": (["My phone is a {a}.", "I use a {a} phone."],
              ["I finally ditched my {a} for a {b}.", "I'm on a {b} now, the {a} died.", "My new phone is a {b}."]),
    "gym": (["I train at {a} three times a week.", "I'm a member at {a}."],
            ["I cancelled my {a} membership and signed up at {b}.", "These days I work out at {b}.",
             "My gym is {b} now."]),
    "band": (["I play bass in a band called {a}.", "{A} is the band I play in."],
             ["I left {a} and now play bass with {b}.", "My band these days is {b}.",
              "{B} asked me to join, so I play with them now instead of {a}."]),
}
DEV7 = {  # helper "recall7": written before any tuning on it; new people; registers: terse chat, long rambling
    # messages, a change told in passing inside another topic, as a correction, as the answer to the assistant's
    # question ("question || answer": the assistant asks, the user answers), with a date, with "we"
    "home": (["I'm based in {a}.", "Been living in {a} for about six years, I love the neighbourhood."],
             ["we finally did it, moved out of {a} and into a place in {b} last month",
              "Quick one before my question: I live in {b} now, so tips for {a} don't help me anymore. "
              "Can you suggest a good bakery?",
              "Where do you live these days? || {B}, since the move in April.",
              "On 2 May we relocated to {b}.", "Correction: I don't live in {a} anymore, it's {b} since the spring."]),
    "work": (["I'm a {x} at {a}.", "My employer is {a}, I do {x} work there."],
             ["new job!! {b} hired me, started monday", "I handed in my notice at {a} and on 1 June I joined {b}.",
              "Who are you working for now? || {B}, I switched in the summer.",
              "It's been a long few weeks honestly, lots of paperwork and farewell drinks, but the short version is "
              "that I said goodbye to {a} and I'm now working at {b}, which is closer to home."]),
    "diet": (["I follow a {a} diet.", "Being {a} matters a lot to me."],
             ["i eat {b} now btw, not {a} anymore", "Are you still {a}? || Not anymore, I started eating {b} in March.",
              "My doctor suggested adding {b}, so since February I'm no longer {a}."]),
    "tool": (["For the backend I rely on {a}.", "{A} is what I use for most of my work."],
             ["moved everything from {a} over to {b} this weekend",
              "What are you using now? || {B}. I gave up on {a} after the last update.",
              "We migrated the whole team to {b} in January.",
              "Long story short, after three weeks of fighting with {a} I rewrote the thing in {b} and I'm not "
              "going back."]),
    "trip": (["We're planning a trip to {a} in the autumn.", "Next spring we fly to {a}."],
             ["change of plans, we're going to {b} instead",
              "Where are you headed in the autumn? || {B}, we cancelled {a}.",
              "On Sunday we switched the booking from {a} to {b}.",
              "Tell me about things to do in {b}, that's where we're going now that {a} fell through."]),
    "learning": (["I'm learning {x} on {a}.", "{A} is how I practise my {x}."],
                 ["dropped {a}, doing my {x} with {b} now", "How's the {x} going? || Good, I switched to {b} last month.",
                  "Since January my {x} lessons are with {b}."]),
    "commute": (["I {x} to work every day.", "My {a} is how I get to the office."],
                ["i take the {b} to work now, done with the {a}", "How do you get to work these days? || By {b}.",
                 "We gave up the {a}; since March I commute by {b}."]),
    "hobby": (["I love {a}.", "On weekends I'm usually doing {a}."],
              ["picked up {b} this year and stopped {a} completely", "What do you do for fun now? || Mostly {b}, I quit {a}.",
               "Honestly {b} has taken over my life since the summer, {a} just faded out."]),
    "drink": (["I drink {a} every morning.", "A cup of {a} is how my day starts."],
              ["switched to {b} in the mornings", "Still on {a}? || No, {b} now.",
               "Since my checkup in May I have {b} instead of {a}."]),
    "car": (["I drive a {a}.", "Our family car is a {a}."],
            ["sold the {a}, got a {b}", "We replaced our {a} with a {b} in April.", "What are you driving now? || A {b}."]),
    "school": (["I study {x} at {a}.", "I'm a student at {a}."],
               ["transferred to {b} this term", "Where are you studying now? || At {b}, I transferred from {a}.",
                "On 1 September I started at {b}, having left {a}."]),
    "role": (["My title is {a}.", "On the team I'm the {a}."],
             ["got promoted, i'm {b} now", "What's your position now? || {B} since the reorg.",
              "As of April my job title is {b}, no longer {a}."]),
    "partner": (["My boyfriend is {a}.", "{A} and I have been together since college."],
                ["broke up with {a}, seeing {b} now", "Are you still with {a}? || No, I'm with {b} now.",
                 "Since the summer {b} and I are a couple."]),
    "phone": (["My phone is my old {a}.", "My {a} is my only phone."],
              ["got the new {b}, the {a} is retired", "Which phone do you have now? || The {b}.",
               "We bought new phones in May, mine is the {b}."]),
    "gym": (["My gym is {a}.", "I go to {a} after work."],
            ["switched gyms, {b} now", "Where do you work out now? || {B}, I quit {a}.",
             "In March I moved my membership from {a} to {b}."]),
    "band": (["I play drums in {a}.", "I'm the singer of {a}."],
             ["quit {a}, joined {b}", "Which band are you in now? || {B}, I left {a} in the spring.",
              "These days I drum for {b}."]),
}
DEV8 = {  # helper "recall8": written before any tuning on it; new people and phrasings: updates told as news,
    # as answers to the assistant, as corrections of what the assistant said, with dates, with "we"/"my wife and I"
    "home": (["My flat is in {a}.", "Home for me is {a}."],
             ["Big news: my address is in {b} now.", "You still think I'm in {a}? || Nope, I packed up and I'm in {b}.",
              "As of 3 March my wife and I rent a house in {b}."]),
    "work": (["I work as a {x} for {a}.", "{A} pays my salary, I'm a {x}."],
             ["Last Friday was my final day at {a}; Monday I start at {b}.", "Still at {a}? || No, {b} took me on.",
              "I accepted the offer from {b}, so {a} is behind me."]),
    "diet": (["I've been {a} for years.", "Food-wise I'm strictly {a}."],
             ["Went back to eating {b} recently, so I'm not {a} these days.", "Anything you don't eat? || I used to be {a} but now I eat {b} again."]),
    "tool": (["Our stack is built on {a}.", "I write everything with {a}."],
             ["We dumped {a}; the project runs on {b} since last sprint.", "Which one do you use? || {B} these days, {a} got too slow."]),
    "car": (["I get around in my {a}.", "I own a {a}."],
            ["Traded in the {a} for a {b} on Saturday.", "How's the {a}? || Gone, I drive a {b} now."]),
    "gym": (["I train at {a}.", "I'm a member at {a}."],
            ["Cancelled {a}, I work out at {b} since May.", "Do you still go to {a}? || No, {b} is my gym now."]),
    "phone": (["I use a {a}.", "My {a} is what I text from."],
              ["My {a} died so I picked up a {b}.", "What phone is that? || A {b}, replaced my {a} last week."]),
    "school": (["I'm enrolled at {a} studying {x}.", "{A} is where I do my {x} degree."],
               ["I've moved to {b} for the rest of my {x} degree.", "You're at {a}, right? || Not anymore, {b} since autumn."]),
    "partner": (["I'm dating {a}.", "My partner {a} lives with me."],
                ["{A} and I split up; I'm dating {b} since spring.", "How is {a}? || We broke up. I'm with {b} now."]),
    "hobby": (["My main hobby is {a}.", "I spend my evenings on {a}."],
              ["These days my free time goes to {b} rather than {a}.", "Still into {a}? || Not really, {b} now."]),
}
DEV9 = {  # helper "recall8": own check pool, only its totals are ever read; phrasings written before any tuning
    "home": (["I reside in {a}.", "I've got an apartment in {a}."],
             ["I'm settled in {b} after leaving {a} in June.", "Are you in {a}? || Not since the move, I'm in {b}."]),
    "work": (["I'm employed by {a} as a {x}.", "My company is {a}."],
             ["My new employer is {b}; I left {a} in the spring.", "Where do you work? || At {b} now, I quit {a}."]),
    "drink": (["Every morning I have {a}.", "I can't start the day without {a}."],
              ["I've replaced my {a} with {b}.", "Coffee or tea? || {B} nowadays, I stopped the {a}."]),
    "commute": (["I {x} to the office.", "My {a} gets me to work."],
                ["I sold my {a}, I ride the {b} to work now.", "How do you commute? || {B} since spring."]),
    "band": (["I play bass in {a}.", "{A} is my band."],
             ["I left {a} and play with {b} now.", "Still gigging with {a}? || No, I'm in {b} these days."]),
    "role": (["I work as the {a}.", "I hold the {a} position."],
             ["They made me {b} last month.", "Same job as before? || No, I'm the {b} now."]),
    "trip": (["Our holiday this year is {a}.", "I've booked flights to {a}."],
             ["We rebooked: it's {b} this year, not {a}.", "Looking forward to {a}? || We're doing {b} instead."]),
    "learning": (["I practise {x} with {a}.", "I learn {x} through {a}."],
                 ["My {x} practice moved from {a} to {b}.", "Still using {a}? || No, {b} for my {x} now."]),
    "gym": (["My workouts are at {a}.", "{A} is where I lift."],
            ["Joined {b} and let {a} lapse.", "Which gym? || {B}, I left {a}."]),
    "car": (["I have a {a}.", "My car is a {a}."],
            ["I now drive a {b} instead of the {a}.", "Still driving the {a}? || No, a {b}."]),
}
NAMES8 = ["Agnieszka", "Bjorn", "Chidi", "Delphine", "Eero", "Fatima", "Gunnar", "Halima", "Ivo", "Joaquim", "Kerstin",
          "Lorenzo", "Mirela", "Nnamdi", "Orla", "Piotr", "Rashida", "Stellan", "Thandiwe", "Ugo", "Valeria", "Wojtek",
          "Ximena", "Yasmin", "Zoltan", "Ailbhe"]
NAMES9 = ["Beatriz", "Caoimhe", "Dario", "Elif", "Filippo", "Gaia", "Henrik", "Ilona", "Jurgen", "Katarzyna", "Luca",
          "Maren", "Nadia", "Oskar", "Paola", "Rune", "Selin", "Tobias", "Ursula", "Vito", "Wanjiru", "Xavier",
          "Yara", "Zdenek", "Amaru", "Benedikt"]
STAY_DEV8 = ["I'm allergic to {allergy}, please remember that.", "{pet_name} is my {pet}.",
             "My {sibling} {sibling_name} lives over in {sibling_city}.", "My birth year is {birth}."]
STAY_DEV9 = ["{allergy} gives me an allergic reaction.", "Our {pet} is called {pet_name}.",
             "{sibling_name} is my {sibling}, based in {sibling_city}.", "I was born in {birth}, fyi."]
NAMES7 = ["Abebe", "Brigid", "Cosmin", "Dagny", "Emeka", "Fenna", "Goran", "Hanne", "Idris", "Jorun", "Kalani",
          "Leocadia", "Mattias", "Nuria", "Obi", "Pernille", "Radu", "Saoirse", "Teodor", "Ulla", "Vesna", "Wiebke",
          "Yannick", "Zofia", "Anouk", "Bastian"]
STAY_DEV7 = ["allergic to {allergy}, just so you know", "We've had our {pet} {pet_name} for years.",
             "My {sibling} {sibling_name} is in {sibling_city}.", "Born in {birth}, if that matters."]
NAMES6 = ["Aiko", "Bilal", "Carmen", "Dmitri", "Esme", "Farid", "Greta", "Hugo", "Ilse", "Jae", "Kwame", "Lotte",
          "Marisol", "Nils", "Oona", "Pavel", "Quinn", "Rosa", "Sven", "Tamsin", "Uma", "Viktor", "Wren", "Xiomara",
          "Yusuf", "Zeno"]
PHONES = [("iPhone", "Pixel"), ("Galaxy", "Fairphone"), ("Nokia", "OnePlus")]
GYMS = [("Fitbox", "Ironworks"), ("PulseGym", "Basecamp"), ("Anytime Fitness", "Gravity")]
BANDS = [("Velvet Static", "Paper Lanterns"), ("Northbound", "Glasshouse"), ("Low Tide", "Marigold")]
STAY_DEV6 = ["I react badly to {allergy}, I'm allergic.", "Our {pet} {pet_name} is ten now.",
             "{sibling_name} (my {sibling}) has a flat in {sibling_city}.", "I was born in {birth}."]
STAY_DEV5 = ["I can't eat {allergy}, I'm allergic.", "I have a {pet}, {pet_name}.",
             "{sibling_name}, my {sibling}, lives in {sibling_city}.", "I'm a {birth} baby."]
CHAT = ["Can you help me plan my week?", "Thanks, that's helpful!", "What do you think about that?",
        "Could you summarise this for me?", "Ok, sounds good."]
ANSWER = ["Sure, happy to help.", "Got it, noted.", "That sounds great.", "Here's a short summary.", "Good plan."]


def values(attribute: str, rng: random.Random) -> dict[str, str]:
    if attribute == "home":
        a, b = rng.sample(CITIES, 2)
        return {"a": a, "b": b}
    if attribute == "work":
        a, b = rng.sample(COMPANIES, 2)
        return {"a": a, "b": b, "x": rng.choice(ROLES)}
    if attribute == "diet":
        a, b = rng.choice(DIETS)
        return {"a": a, "b": b}
    if attribute == "tool":
        a, b = rng.choice(TOOLS)
        return {"a": a, "b": b}
    if attribute == "trip":
        a, b = rng.choice(TRIPS)
        return {"a": a, "b": b}
    if attribute == "learning":
        x, a, b = rng.choice(LANGS)
        return {"a": a, "b": b, "x": x}
    if attribute == "commute":
        x, a, b = rng.choice(COMMUTE)
        return {"a": a, "b": b, "x": x}
    if attribute == "hobby":
        a, b = rng.choice(HOBBIES)
        return {"a": a, "b": b}
    if attribute == "car":
        a, b = rng.choice(CARS)
        return {"a": a, "b": b}
    if attribute == "school":
        a, b, x = rng.choice(SCHOOLS)
        return {"a": a, "b": b, "x": x}
    if attribute == "role":
        a, b = rng.choice(TITLES)
        return {"a": a, "b": b}
    if attribute == "partner":
        a, b = rng.choice(PARTNERS)
        return {"a": a, "b": b}
    if attribute in ("phone", "gym", "band"):
        a, b = rng.choice({"phone": PHONES, "gym": GYMS, "band": BANDS}[attribute])
        return {"a": a, "b": b}
    a, b = rng.choice(DRINKS)
    return {"a": a, "b": b}


def key_word(value: str) -> str:
    """The word that identifies a value in a memory (its most specific word)."""
    skip = {"a", "an", "the", "private", "weekly", "evening", "language", "exchange", "partner", "take"}
    words = [w for w in value.replace(".", " ").split() if w.lower() not in skip]
    return max(words, key=len) if words else value


def person(n: int, pool: str, rng: random.Random) -> dict:
    templates = {"dev": DEV, "heldout": HELDOUT, "dev2": DEV2, "heldout2": HELDOUT2, "dev3": DEV3,
                 "heldout3": HELDOUT3, "dev4": DEV4, "dev5": DEV5, "dev6": DEV6, "dev7": DEV7, "dev8": DEV8, "dev9": DEV9}[pool]
    stay = {"dev3": STAY_DEV3, "heldout3": STAY_HELDOUT3, "dev4": STAY_DEV3, "dev5": STAY_DEV5,
             "dev6": STAY_DEV6, "dev7": STAY_DEV7, "dev8": STAY_DEV8, "dev9": STAY_DEV9}.get(pool) or (STAY_DEV if pool.startswith("dev") else STAY_HELDOUT)
    names = {"dev6": NAMES6, "dev7": NAMES7, "dev8": NAMES8, "dev9": NAMES9}.get(pool, NAMES)
    name = names[n % len(names)]
    start = date(2024, 1, 5) + timedelta(days=rng.randrange(0, 40))
    dates = [start + timedelta(days=45 * i + rng.randrange(0, 10)) for i in range(4)]
    formats = [rng.choice(["messages", "chatgpt", "claude-code"]) for _ in dates]
    changing = rng.sample(sorted(templates), 4)
    steady = {"allergy": rng.choice(ALLERGIES), "birth": rng.choice(BIRTH)}
    steady["pet"], steady["pet_name"] = rng.choice(PETS)
    steady["sibling"], steady["sibling_name"] = rng.choice(SIBLINGS)
    sessions = [[] for _ in dates]
    sessions[0].append(f"Hi, I'm {name}.")
    changed, unchanged = [], []
    for i, attribute in enumerate(changing):
        v = values(attribute, rng)
        v["A"] = v["a"][:1].upper() + v["a"][1:]
        v["B"] = v["b"][:1].upper() + v["b"][1:]
        first, change = templates[attribute]
        when = 1 + i % 3  # the session the change is told in
        sessions[0].append(rng.choice(first).format(**v))
        sessions[when].append(rng.choice(change).format(**v))
        changed.append({"attribute": attribute, "old": key_word(v["a"]), "new": key_word(v["b"]),
                        "session": when})
    used = {w for c in changed for w in (c["old"], c["new"])}
    steady["sibling_city"] = rng.choice([c for c in CITIES if c not in used])
    for template, key in zip(stay, ("allergy", "pet_name", "sibling_name", "birth")):
        sessions[0 if key != "sibling_name" else rng.randrange(0, 4)].append(template.format(**steady))
        unchanged.append({"attribute": key, "key": steady[key]})
    RESTATE.setdefault("dev5", "My {allergy} allergy is still there.")
    RESTATE.setdefault("dev6", "Still allergic to {allergy}, by the way.")
    RESTATE.setdefault("dev7", "the {allergy} thing hasn't changed, still allergic")
    RESTATE.setdefault("dev8", "Reminder: {allergy} is still off limits for me.")
    RESTATE.setdefault("dev9", "Still can't have {allergy}.")
    sessions[rng.randrange(1, 4)].append(RESTATE[pool if pool in RESTATE else pool.rstrip("2")].format(**steady))
    out = []
    for d, fmt, said in zip(dates, formats, sessions):
        turns = []
        rng.shuffle(said) if said and not said[0].startswith("Hi, I'm") else None
        for text in said + [rng.choice(CHAT)]:
            if " || " in text:  # the assistant asks, the user answers
                question, text = text.split(" || ")
                turns.append(["assistant", question])
            turns.append(["user", text])
            turns.append(["assistant", rng.choice(ANSWER)])
        out.append({"date": d.isoformat() + "T" + f"{9 + rng.randrange(0, 9):02d}:{rng.randrange(0, 60):02d}:00Z",
                    "format": fmt, "turns": turns})
    return {"person": name, "sessions": out, "changed": changed, "unchanged": unchanged}


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for pool, seed, count in (("dev", 23, 24), ("heldout", 2323, 24), ("dev2", 2301, 24), ("heldout2", 2302, 24),
                              ("dev3", 2303, 24), ("heldout3", 2304, 24), ("dev4", 2305, 24), ("dev5", 2306, 26),
                              ("dev6", 2307, 26), ("dev7", 2308, 26), ("dev8", 2309, 26), ("dev9", 2310, 26)):
        if len(sys.argv) > 1 and pool not in sys.argv[1:]:  # write only the named pools
            continue
        rng = random.Random(seed)
        with open(DATA / f"updates-{pool}.jsonl", "w") as f:
            for n in range(count):
                f.write(json.dumps(person(n, pool, rng)) + "\n")
        print(f"wrote {DATA / f'updates-{pool}.jsonl'} ({count} people)")


if __name__ == "__main__":
    main()
