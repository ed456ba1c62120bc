"""The vocabulary description.py reads panels with: the headings that introduce the
people you will meet, the words that make a "name" a team or a session, and the
particles inside names ("van der", "de la")."""

from __future__ import annotations

import re

# Headings that introduce the people you will meet.
HEADING = re.compile(
    r"^\s*(?:[*_#>]+\s*)?(?:your\s+)?(?:interviewers?|interview\s+panel|panel(?:ists?)?|"
    r"panel\s+members?|who\s+you(?:'|’)?ll\s+(?:meet|be\s+meeting|speak\s+with)|"
    r"(?:(?:candidate|interview|today(?:'|’)?s)\s+)?(?:schedule|itinerary|agenda)|"
    r"you\s+will\s+(?:meet|be\s+meeting|speak|be\s+speaking)\s*(?:with)?|"
    r"you(?:'|’)ll\s+(?:meet|be\s+meeting|be\s+speaking)\s*(?:with)?|"
    r"(?:you(?:'|’)re|you\s+are)\s+scheduled\s+to\s+(?:meet|speak)\s*(?:with)?|"
    r"meeting\s+with|speaking\s+with|interview(?:ing)?\s+with(?=\s*:)|hiring\s+manager|"
    r"attendees|participants|agenda|schedule|itinerary|"
    # The same in the languages detect.py knows.
    r"entrevistador(?:es|as|a)?|gespr(?:ä|ae)chspartner(?:in|innen)?|gesprekspartners?|"
    r"intervistatori|intervistatrici|selezionatori|intervenants?|recruteurs?|"
    r"vous\s+rencontrerez|sie\s+treffen|conocer(?:á|a)s\s+a|rekruterzy|"
    r"osoby\s+prowadz(?:ą|a)ce)\b[*_]*\s*[:\-–—]?"
    r"\s*(?P<rest>.*)$",
    re.IGNORECASE,
)

# Words that make a "name" a team, a product or a company instead of a person.
NOT_A_PERSON = {
    "team", "teams", "inc", "corp", "corporation", "llc", "ltd", "gmbh", "group", "labs",
    "company", "recruiting", "recruitment", "talent", "hr", "engineering", "zoom", "meet",
    "google", "microsoft", "webex", "skype", "hangouts", "call", "meeting", "interview",
    "calendar", "the", "our", "your", "us", "we", "you", "me", "department", "panel",
    "hiring", "manager", "committee", "office", "link", "details", "below", "above",
    "phone", "video", "onsite", "screen", "round", "session", "agenda", "schedule", "tbd",
    "lunch", "break", "welcome", "tour", "wrap-up", "intro", "introduction", "coffee",
    "closing", "overview", "presentation", "demo", "coding", "design", "system", "systems",
    "behavioral", "behavioural", "technical", "culture", "values", "debrief", "chat", "sync",
    "q&a", "questions", "exercise", "case", "study", "lead", "staff", "senior", "principal",
    "director", "engineer", "recruiter", "coordinator", "ceo", "cto", "vp", "head",
    "room", "conf", "conference", "building", "bldg", "floor", "lobby", "reception", "hq",
    "regards", "thanks", "thank", "cheers", "sincerely", "hello", "hi", "dear", "please",
    # Session names in itineraries ("Portfolio Review — Grace Liu, Design Director").
    "review", "portfolio", "sense", "dive", "pairing", "whiteboard", "architecture",
    "leadership", "strategy", "execution", "solving", "product", "experience",
    "collaboration", "communication", "debugging", "algorithms", "data", "craft", "fit",
    # Column headings of schedule tables ("Time | Interviewer | Session").
    "time", "interviewer", "interviewers", "title", "name", "role", "who", "when", "topic",
    "focus", "duration", "location",
}
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "du", "le", "la",
             "bin", "bint", "al", "el", "ten", "ter", "y", "dos", "das"}
