"""The words `titles` reads interview titles with: stages, job nouns, noise, places.

All case-folded. Compounds ("hiring manager") are matched as one token, their words
joined by a no-break space, so "Engineering Manager" never loses "Manager" to a stage.
"""

from __future__ import annotations

_NB = "\u00a0"


def _set(text: str) -> frozenset[str]:
    return frozenset(w.replace("_", _NB) for w in text.split())


# Multi-word stages and role words, written with spaces or hyphens in titles.
COMPOUNDS: tuple[str, ...] = (
    r"hiring[ -]manager", r"system[ -]design", r"culture[ -]fit", r"bar[ -]raiser",
    r"case[ -]study", r"pair[ -]programming", r"take[ -]home", r"meet (?:&|and) greet",
    r"super[ -]day", r"in[ -]person", r"follow[ -]up", r"one[ -]on[ -]one",
    r"(?:technical|senior|lead|corporate|university|campus|executive|sourcing|talent|"
    r"agency|principal|staff|associate|junior|contract|global|regional|sr\.?|jr\.?)"
    r" recruiter",
    r"phone[ -]screen", r"video[ -]call", r"phone[ -]call", r"google meet",
    r"microsoft teams", r"ms teams", r"zoom meeting", r"teams meeting",
    r"entretien d['’]embauche", r"entrevista de trabajo", r"colloquio di lavoro",
    r"job interview", r"full[ -]stack", r"front[ -]end", r"back[ -]end",
    r"machine learning", r"site reliability", r"talent acquisition", r"d['’]embauche",
    r"assessment cent(?:re|er)", r"meet the team", r"face[ -]to[ -]face",
)

# Nouns that make a run of words a stage: "Onsite", "Phone Screen", "Final Round".
STAGE_HEADS = _set("""
interview interviews interviewing screen screening screener prescreen pre-screen call chat
onsite onsites on-site loop round conversation session discussion assessment presentation
review exercise challenge superday super_day meeting meet_&_greet meet_and_greet
phone_screen job_interview debrief assessment_centre assessment_center
meet_the_team
vorstellungsgespräch bewerbungsgespräch gespräch kennenlerngespräch erstgespräch
zweitgespräch fachgespräch telefoninterview videointerview interviewtermin
entretien entretien_d'embauche entretien_d’embauche entrevue entrevista
entrevista_de_trabajo colloquio colloquio_di_lavoro intervista sollicitatiegesprek
kennismakingsgesprek gesprek rozmowa intervju haastattelu mülakat
""")
# Words that qualify a stage; removed only next to a head noun.
STAGE = STAGE_HEADS | _set("""
virtual technical tech behavioral behavioural coding code system_design culture_fit
culture values final first second third fourth fifth 1st 2nd 3rd 4th 5th initial intro
introductory follow-up follow_up phone telephone video zoom teams in-person in_person
remote panel live hiring_manager hm recruiter recruiting team peer peers executive exec
leadership bar_raiser case case_study portfolio take-home take_home takehome whiteboard
pair_programming pairing programming day half-day full-day virtual-onsite group
one-on-one one_on_one q&a job screening d'embauche d’embauche hiring-manager
case-study confirmation invitation invite request reminder scheduled personal
persönliches f2f face-to-face face_to_face rh hr
telefonisches persönliches erstes zweites technisches premier première deuxième
telefónica técnica técnico primera segunda final telefonico tecnico primo secondo
di de lavoro trabajo online fit
""")
# Stages written in scripts without spaces: "一次面接", "最终面试", "1차 면접".
CJK_STAGE = ("面接", "面试", "面談", "인터뷰", "면접")

# Words at the start of a part that only join it to the rest.
LEADING = _set("the a an your our my for at with to of - – — & + and")
# Words at the end that only say "this is a role / a team".
TRAILING = _set("role position opening job vacancy posting team position(s) req - – — &")
PREPOSITIONS = _set("in on via over by from to about im au à a en")

# The last word of a job title.
JOB_NOUNS = _set("""
engineer engineers developer developers dev devs programmer architect scientist analyst
designer manager director lead leads head intern internship recruiter recruiters sourcer
consultant specialist coordinator officer administrator admin technician researcher
associate assistant writer editor accountant auditor controller nurse physician doctor
teacher lecturer professor instructor tutor counsel attorney lawyer paralegal
representative rep executive strategist planner producer marketer advocate partner owner
president vp svp evp cto ceo cfo coo cmo cio ciso cpo cro sre swe sde sdet pm tpm pgm em
operator agent clerk cashier barista chef cook driver pharmacist therapist dentist
veterinarian electrician mechanic machinist welder fellow postdoc apprentice trainee
graduate buyer merchandiser underwriter actuary economist statistician mathematician
bookkeeper receptionist secretary generalist expert evangelist illustrator animator
photographer journalist reporter copywriter translator interpreter librarian archivist
curator surveyor inspector estimator dispatcher supervisor foreman superintendent trainer
coach ambassador broker banker trader teller advisor adviser counselor counsellor
psychologist worker caregiver aide hygienist technologist modeler modeller artist
investigator steward pilot attendant teammate crew member manager(s) hacker staffer
founder cofounder co-founder principal_engineer sre/devops devops_engineer
""")
# German and Dutch compounds end with the job: "Softwareentwickler", "Softwareontwikkelaar".
JOB_SUFFIXES = ("entwickler", "ingenieur", "berater", "leiter", "referent", "architekt",
                "sachbearbeiter", "spezialist", "techniker", "kaufmann", "kauffrau",
                "buchhalter", "assistent", "praktikant", "werkstudent", "ontwikkelaar",
                "adviseur", "beheerder", "medewerker", "エンジニア", "デザイナー",
                "マネージャー", "工程师", "经理", "设计师", "엔지니어", "개발자", "디자이너")
# Romance-language titles start with the job: "Ingénieur logiciel", "Analista de datos".
JOB_NOUNS_FIRST = _set("""
ingénieur ingenieur ingeniero ingegnere développeur developpeur desarrollador
sviluppatore analista analyste responsable gestionnaire directeur directrice diseñador
programador programmeur technicien técnico stagiaire becario stagista comptable contable
consultor consultora consulente medewerker chef jefe jefa gerente product_owner
werkstudent praktikant praktikantin praktikum ausbildung trainee chargé chargée
""")
# First words of "Head of Design", "Director, Product", "VP Engineering".
HEADS_OF = _set("head director vp svp evp chief manager lead principal directeur jefe "
                "leiter leiterin responsable")
# Words of a job title that are not the job noun: "Senior Backend" in "Senior Backend
# Engineer". A part made only of these is a role at best, never a company.
ROLE_WORDS = _set("""
senior sr sr. staff principal junior jr jr. lead chief associate entry-level mid-level
mid software hardware firmware backend back-end back_end frontend front-end front_end
full-stack full_stack fullstack data machine_learning machine learning ml ai platform
infrastructure infra cloud devops security site_reliability site reliability mobile ios
android web product program project engineering technical solutions sales marketing
growth finance financial legal operations ops support customer success research ux ui
design visual graphic content brand people hr talent recruiting business systems
network database qa quality assurance test automation embedded applied analytics
computer vision nlp application applications game gameplay graphics distributed api
integration implementation account accounts enterprise partner regional global field
clinical medical digital creative editorial social media community communications public
relations policy compliance risk tax treasury strategy corporate development supply chain
procurement logistics manufacturing mechanical electrical civil chemical industrial
process quantitative quant devrel developer performance java python golang go rust react
node .net c++ c# ruby rails php javascript typescript kotlin swift scala sap salesforce
aws gcp azure kubernetes and & of new grad graduate summer university campus intern
frontend/backend backend/frontend full-time part-time contract remote hybrid associate
language languages linux unix windows cyber information it ml/ai ai/ml llm genai search
payments? reliability observability storage compute networking kernel robotics hardware
""") - {"payments?"}
LEVELS = _set("i ii iii iv v vi 1 2 3 4 5 6 l3 l4 l5 l6 l7 l8 (remote) (hybrid)")

# Whole parts that are never a company or a role.
NOISE = _set("""
zoom teams microsoft_teams ms_teams google_meet meet hangouts webex skype bluejeans chime
video_call phone_call phone video virtual remote online in-person in_person onsite hybrid
call candidate candidates interviewer interviewers hold tbd tentative confirmed invitation
invite reminder schedule itinerary agenda details update updated rescheduled recruiting
recruitment talent_acquisition talent hr hiring team company us me you meeting event busy
zoom_meeting teams_meeting conference room conference_call dial-in dial_in link
the_team next_steps next_step intro introduction availability coffee lunch dinner
breakfast drinks catch-up catch_up sync hangout
temporary temp contract contractor freelance permanent full-time full_time fulltime
part-time part_time parttime seasonal temp-to-hire contract-to-hire
""") | {"candidate calendar", "interview schedule", "interview confirmation",
        "video conference", "conference call", "microsoft teams meeting",
        "google hangouts", "zoom video", "phone interview", "candidate interview"}
# Words after which a part is a place: "Onsite at HQ", "Interview at the London office".
PLACE_WORDS = _set("hq headquarters office offices campus building bldg floor lobby "
                   "reception site room")
# Places that schedulers add as a part of their own: "Acme - Engineer - Onsite - Berlin".
PLACES = frozenset(p.casefold() for p in """
London|Berlin|Paris|Munich|Amsterdam|Dublin|Madrid|Barcelona|Lisbon|Zurich|Stockholm|
Copenhagen|Oslo|Helsinki|Warsaw|Prague|Vienna|Milan|Rome|Tel Aviv|Bangalore|Bengaluru|
Hyderabad|Pune|Mumbai|Delhi|Singapore|Tokyo|Seoul|Beijing|Shanghai|Shenzhen|Hong Kong|
Sydney|Melbourne|Toronto|Vancouver|Montreal|New York|NYC|New York City|San Francisco|SF|
Bay Area|Seattle|Boston|Austin|Chicago|Los Angeles|LA|Denver|Atlanta|Miami|Washington|
Washington DC|DC|Dallas|Houston|Portland|San Jose|Mountain View|Palo Alto|Menlo Park|
Redmond|Sunnyvale|Cupertino|Remote|USA|US|UK|EU|EMEA|APAC|Americas|Canada|Germany|France|
India|Ireland|Netherlands|Spain|Japan|Remote US|Remote - US|Hybrid|Global
""".replace("\n", "").split("|"))

# Words that end a company's name: "Acme Inc", "Globex Labs".
COMPANY_SUFFIXES = _set("""
inc inc. llc ltd ltd. limited gmbh ag sa s.a. bv b.v. nv plc corp corp. corporation co
co. company group labs lab technologies technology systems solutions software bank
capital partners holdings health studios studio games ventures industries international
consulting networks pty kk oy ab srl spa s.p.a. se sas
""")
# Small words inside a company's name: "Bank of America", "Procter & Gamble".
NAME_JOINS = _set("of and & the de du la le von van der den y e di da for")
NOT_COMPANIES = _set("""
interview onsite screen candidate recruiter team meeting call chat new intro hold
confirmed invitation update reminder tbd the a an hiring talent hr recruiting
""")
# First names that are also common title words: never taken for a person in a title.
NOT_NAMES = _set("""
interview onsite final round phone video senior staff lead data product design team
engineer manager recruiter hiring technical panel virtual zoom teams chat call screen
""")

# Acronyms kept in capitals when an ALL CAPS title is put in a natural case.
ACRONYMS = frozenset(str.split("""
AI ML SRE SWE SDE SDET AWS GCP QA UX UI II III IV VI VII VIII HR IT VP SVP EVP CEO CTO
CFO COO CMO CIO CISO CPO PM TPM EM HM NLP LLM API SaaS SQL ETL BI ERP SAP CRM SEO R&D
US USA UK EU EMEA APAC NYC SF LA DC HQ IBM AT&T BBC NASA GE HP KPMG EY PwC SAS
"""))
SPECIAL_CASE = {"ios": "iOS", "devops": "DevOps", "fullstack": "Fullstack",
                "javascript": "JavaScript", "typescript": "TypeScript", "github": "GitHub",
                "gitlab": "GitLab", "linkedin": "LinkedIn", "paypal": "PayPal",
                "youtube": "YouTube", "openai": "OpenAI", "saas": "SaaS", "pwc": "PwC"}
# Short words that are words, not acronyms, in an ALL CAPS title.
SMALL_WORDS = _set("""
and the for of at with to in on a an new day one two big top red job our web app lead
dev ops sr jr mid end key net art car bar law tax fit run out via by vs or not all we
you me my co inc ltd llc bank go pay box hub lab labs hot
""")
