#!/usr/bin/env python3
"""gen_members.py — deterministic members for `sadasya import` benchmarks.

    gen_members.py COUNT [STATE] [--seed N] > members.csv

Writes COUNT rows with the header
    name,name-en,gender,phone,district,area,occupation,interest,fee-paise,joined
to stdout. The same COUNT, STATE and seed always give the same bytes.

Names are Devanagari first + last names, with the Latin spelling in
name-en. The first names and surnames are taken from the article the
project started from (the members of the national membership-drive meeting,
e.g. जितेन्द्र कुमार सिन्हा, रागिनी रंजन, दीपक अभिषेक, नूतन सिन्हा,
धनंजय प्रसाद, सपना वर्मा, राजीव कांत, निलेश रंजन), and then filled out with
common Hindi given names and Kayastha surnames (श्रीवास्तव, वर्मा, प्रसाद…).
Phones are unique 10-digit mobile numbers (a bijection of the row index),
districts are the state's (all 38 of Bihar for BR), joining dates run from
2026-08-01 to 2026-11-27 so `stats --by month` has four rows.

Standard library only; about 1M rows in 10 s with CPython.
"""
import random
import sys

# (Devanagari, Latin). Given names are split by gender; the first ones of
# each list are the people of the seed article.
MALE = [
    ("जितेन्द्र", "Jitendra"), ("नवीन", "Naveen"), ("पवन", "Pawan"),
    ("नितेश", "Nitesh"), ("अनुज", "Anuj"), ("जितेंद्र", "Jitendra"),
    ("आदित्य", "Aditya"), ("दीपेश", "Deepesh"), ("ब्रजभूषण", "Brajbhushan"),
    ("दीपक", "Deepak"), ("शुभ्रांशु", "Shubhranshu"), ("शैलेन्द्र", "Shailendra"),
    ("अशोक", "Ashok"), ("मुकेश", "Mukesh"), ("धनंजय", "Dhananjay"),
    ("अनिल", "Anil"), ("राजीव", "Rajeev"), ("अश्विनी", "Ashwini"),
    ("निलेश", "Nilesh"),
    # common Hindi given names
    ("अनुराग", "Anurag"), ("रवि शंकर", "Ravi Shankar"), ("शेखर", "Shekhar"),
    ("अमित", "Amit"), ("संजय", "Sanjay"), ("राकेश", "Rakesh"),
    ("विकास", "Vikas"), ("सुनील", "Sunil"), ("मनोज", "Manoj"),
    ("आलोक", "Alok"), ("प्रवीण", "Praveen"), ("रंजीत", "Ranjeet"),
    ("सौरभ", "Saurabh"), ("अभय", "Abhay"), ("विनय", "Vinay"),
    ("प्रशांत", "Prashant"), ("राहुल", "Rahul"), ("अजय", "Ajay"),
    ("उमेश", "Umesh"), ("संतोष", "Santosh"), ("गौरव", "Gaurav"),
]
FEMALE = [
    ("रागिनी", "Ragini"), ("नूतन", "Nutan"), ("सपना", "Sapna"),
    # common Hindi given names
    ("प्रिया", "Priya"), ("अनीता", "Anita"), ("सुनीता", "Sunita"),
    ("पूजा", "Pooja"), ("नेहा", "Neha"), ("कविता", "Kavita"),
    ("रीना", "Reena"), ("स्वाति", "Swati"), ("अंजलि", "Anjali"),
    ("ममता", "Mamta"), ("रश्मि", "Rashmi"), ("शालिनी", "Shalini"),
    ("ज्योति", "Jyoti"), ("ऋचा", "Richa"), ("पल्लवी", "Pallavi"),
    ("सीमा", "Seema"), ("अर्चना", "Archana"), ("निधि", "Nidhi"),
    ("माधुरी", "Madhuri"), ("विभा", "Vibha"), ("शिल्पी", "Shilpi"),
]
SURNAMES = [
    # from the seed article
    ("सिन्हा", "Sinha"), ("रंजन", "Ranjan"), ("सक्सेना", "Saxena"),
    ("शरण", "Sharan"), ("माथुर", "Mathur"), ("श्रीवास्तव", "Srivastava"),
    ("नाग", "Nag"), ("भटनागर", "Bhatnagar"), ("अभिषेक", "Abhishek"),
    ("महान", "Mahan"), ("प्रसाद", "Prasad"), ("दास", "Das"),
    ("वर्मा", "Verma"), ("कांत", "Kant"),
    # common Kayastha surnames; the most common ones listed twice to weigh them
    ("समरूप", "Samroop"), ("अम्बष्ठ", "Ambastha"), ("कर्ण", "Karn"),
    ("निगम", "Nigam"), ("अस्थाना", "Asthana"), ("खरे", "Khare"),
    ("सहाय", "Sahay"), ("लाल", "Lal"), ("श्रीवास्तव", "Srivastava"),
    ("सिन्हा", "Sinha"), ("वर्मा", "Verma"), ("प्रसाद", "Prasad"),
]
MIDDLE_MALE = ("कुमार", "Kumar")

# District -> weight (bigger districts register more members).
DISTRICTS = {
    "BR": {
        "Araria": 1, "Arwal": 1, "Aurangabad": 1, "Banka": 1, "Begusarai": 1,
        "Bhagalpur": 2, "Bhojpur": 1, "Buxar": 1, "Darbhanga": 2,
        "East Champaran": 2, "Gaya": 2, "Gopalganj": 1, "Jamui": 1,
        "Jehanabad": 1, "Kaimur": 1, "Katihar": 1, "Khagaria": 1,
        "Kishanganj": 1, "Lakhisarai": 1, "Madhepura": 1, "Madhubani": 2,
        "Munger": 1, "Muzaffarpur": 2, "Nalanda": 2, "Nawada": 1, "Patna": 4,
        "Purnia": 2, "Rohtas": 1, "Saharsa": 1, "Samastipur": 2, "Saran": 2,
        "Sheikhpura": 1, "Sheohar": 1, "Sitamarhi": 1, "Siwan": 2,
        "Supaul": 1, "Vaishali": 2, "West Champaran": 2,
    },
    "JH": {
        "Ranchi": 3, "Dhanbad": 2, "East Singhbhum": 2, "Bokaro": 2,
        "Hazaribagh": 1, "Deoghar": 1, "Giridih": 1, "Palamu": 1,
        "Dumka": 1, "Ramgarh": 1,
    },
    "UP": {
        "Lucknow": 3, "Prayagraj": 2, "Varanasi": 2, "Kanpur Nagar": 2,
        "Gorakhpur": 2, "Agra": 1, "Bareilly": 1, "Ballia": 1,
        "Ghazipur": 1, "Azamgarh": 1,
    },
    "DL": {
        "New Delhi": 1, "Central Delhi": 1, "South Delhi": 2,
        "East Delhi": 2, "North Delhi": 1, "West Delhi": 2,
    },
}

OCCUPATIONS = [
    ("teacher", 3), ("advocate", 2), ("doctor", 1), ("engineer", 2),
    ("student", 3), ("homemaker", 3), ("business", 3), ("farmer", 2),
    ("government service", 2), ("accountant", 1), ("journalist", 1),
    ("retired", 2), ("", 2),
]
INTERESTS = ["webinar", "cultural-evening", "worship", "workshop", "camp",
             "leadership-training", "women-entrepreneurship", "youth"]
FEES = [(1100, 90), (2100, 5), (5100, 3), (11000, 2)]


def days():
    """Every date from 2026-08-01 to 2026-11-27 as YYYY-MM-DD."""
    out = []
    for month, last in ((8, 31), (9, 30), (10, 31), (11, 27)):
        out += ["2026-%02d-%02d" % (month, d) for d in range(1, last + 1)]
    return out


def weighted(pairs):
    """A list in which each item appears as often as its weight."""
    return [v for v, w in pairs for _ in range(w)]


def main(argv):
    args, seed = [], 1
    i = 1
    while i < len(argv):
        if argv[i] == "--seed" and i + 1 < len(argv):
            seed = int(argv[i + 1])
            i += 2
        elif argv[i] in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            args.append(argv[i])
            i += 1
    if not 1 <= len(args) <= 2 or not args[0].isdigit():
        sys.stderr.write("usage: gen_members.py COUNT [STATE] [--seed N]\n")
        return 2
    count = int(args[0])
    state = args[1].upper() if len(args) > 1 else "BR"
    if state not in DISTRICTS:
        sys.stderr.write("gen_members.py: error: no districts for state %s "
                         "(one of %s)\n" % (state, ", ".join(sorted(DISTRICTS))))
        return 2

    rng = random.Random("%s/%d" % (state, seed))
    # Mobile numbers 6000000000..9999999999: row i gets (i*A + B) mod 4e9,
    # a bijection since A is odd and not a multiple of 5, so no two rows
    # share a phone.
    span, mult = 4000000000, 2654435761
    offset = rng.randrange(span)

    # Row parts are drawn from flat lists by index: much faster than
    # random.choices with weights, one row at a time.
    dists = weighted(sorted(DISTRICTS[state].items()))
    occs = weighted(OCCUPATIONS)
    fees = [str(f) for f in weighted(FEES)]
    dates = days()
    male_first = [(m[0] + " " + MIDDLE_MALE[0], m[1] + " " + MIDDLE_MALE[1])
                  for m in MALE] + MALE + MALE   # a third with "Kumar"
    rand = rng.random

    def pick(seq):
        return seq[int(rand() * len(seq))]

    out = sys.stdout
    out.write("name,name-en,gender,phone,district,area,occupation,interest,"
              "fee-paise,joined\n")
    buf = []
    for row in range(count):
        g = rand()
        if g < 0.52:
            gender, first = "male", pick(male_first)
        elif g < 0.99:
            gender, first = "female", pick(FEMALE)
        else:
            gender, first = "other", pick(MALE if rand() < 0.5 else FEMALE)
        last = pick(SURNAMES)
        phone = 6000000000 + (row * mult + offset) % span
        k = int(rand() * 4)   # 0-3 interests
        interest = ";".join(rng.sample(INTERESTS, k)) if k else ""
        buf.append("%s %s,%s %s,%s,%d,%s,%s,%s,%s,%s,%s\n" % (
            first[0], last[0], first[1], last[1], gender, phone, pick(dists),
            "urban" if rand() < 0.55 else "rural", pick(occs), interest,
            pick(fees), pick(dates)))
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.exit(1)
