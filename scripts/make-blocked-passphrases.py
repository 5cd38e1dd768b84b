#!/usr/bin/python3
"""Writes data/blocked-passphrases.txt: long passwords that are still guessed
early, because they follow a pattern people (and cracking rule sets) use once a
site asks for 15 characters.

No third-party data and no network: every word and phrase below is written
here, and the patterns are generated. The output is part of secondop and under
its licence. Run from the project root:

    /usr/bin/python3 scripts/make-blocked-passphrases.py > data/blocked-passphrases.txt

Output format (as data/common-passwords.txt): one entry a line, lower case,
only letters and digits (server/core/password.c also looks a password up with
spaces and punctuation removed, so "Correct-Horse battery_staple!" meets the
entry "correcthorsebatterystaple"), at least 12 characters (the minimum with a
second factor), sorted by byte value, no duplicates.

Patterns:
  - known passphrases, quotes, proverbs, prayers, nursery rhymes, public-domain
    song lines and film lines (a few words each), and a phrase repeated;
  - "password"/"iloveyou"-style words padded to length with the usual
    endings (digit runs, years, "123", "!!!" – punctuation falls away);
  - keyboard walks on QWERTY rows, columns and diagonals, forwards and
    backwards, and their repetitions;
  - digit and letter sequences, repeated characters and repeated short units;
  - common words doubled or tripled, pairs and triples of the most common
    password words, and "i love …", "my … is …" style phrase patterns.
"""
import itertools
import sys

MIN_LEN = 12

# The most common words inside real passwords (names of things people love,
# pets, sports, feelings), written from general knowledge.
WORDS = """
password pass secret letmein welcome login admin master access changeme monkey dragon
shadow sunshine princess football baseball soccer hockey basketball superman batman
iloveyou love lover loveme lovely angel angels baby babygirl babyboy honey sweet
sweetheart sweetie darling heart hearts kiss kisses hello hi freedom flower flowers
summer winter spring autumn purple orange yellow green blue black white red pink silver
golden gold diamond star stars moon sun sky rainbow butterfly tiger lion eagle bear wolf
horse horses puppy kitty kitten cat cats dog dogs doggy bunny chicken fish dolphin
jesus christ god lord faith hope grace blessed angel heaven church bible amen
family mother father mommy daddy mom dad sister brother friend friends forever always
happy smile funny crazy cool awesome perfect beautiful pretty cute sexy hot
music rock guitar piano dance dancer singer jordan michael jennifer jessica ashley
michelle nicole daniel david matthew andrew joshua christopher thomas charlie buster
ginger pepper maggie bailey max tigger coffee chocolate cookie cookies candy cheese pizza
banana apple cherry strawberry peanut butter computer internet google facebook
qwerty trustno1 whatever nothing something anything everything someone nobody
money rich lucky winner champion killer hunter soldier ninja pirate wizard magic
mustang ferrari porsche corvette harley yamaha honda toyota ford chevy
matrix starwars pokemon naruto mario zelda minecraft fortnite
spiderman ironman hulk thor joker harry potter hogwarts gandalf frodo
london paris texas florida california newyork chicago boston dallas
yankees cowboys lakers arsenal chelsea liverpool barcelona madrid united
mickey minnie snoopy garfield scooby elmo barbie
hannah emily sarah amanda samantha elizabeth lauren madison olivia emma sophia
""".split()

PHRASES = """
correct horse battery staple
the quick brown fox jumps over the lazy dog
the quick brown fox
i love you
i love you forever
i love you so much
i love you baby
i love my family
i love my mom
i love my dad
i love my kids
i love my dog
i love my cat
i love jesus
i love god
jesus loves me
jesus is lord
jesus is my savior
god is good
god is love
god is great
god bless america
in god we trust
praise the lord
the lord is my shepherd
our father who art in heaven
hallowed be thy name
thy kingdom come
for god so loved the world
faith hope love
let me in
let me in please
open sesame
this is my password
this is a password
my password is password
my secret password
super secret password
password password
i forgot my password
what is my password
change me now
trust no one
never give up
never say never
never forget
live laugh love
live love laugh
carpe diem
seize the day
hakuna matata
may the force be with you
use the force luke
i am your father
to be or not to be
that is the question
all you need is love
let it be
let it go
hey jude
yellow submarine
stairway to heaven
hotel california
sweet home alabama
born in the usa
we will rock you
we are the champions
another one bites the dust
bohemian rhapsody
is this the real life
smells like teen spirit
highway to hell
knocking on heavens door
over the rainbow
somewhere over the rainbow
there is no place like home
no place like home
happy birthday to you
twinkle twinkle little star
mary had a little lamb
row row row your boat
london bridge is falling down
old macdonald had a farm
jingle bells jingle bells
jingle all the way
silent night holy night
amazing grace
amazing grace how sweet the sound
oh say can you see
land of the free
home of the brave
god save the queen
god save the king
once upon a time
happily ever after
the end is near
winter is coming
you shall not pass
one ring to rule them all
my precious
live long and prosper
beam me up scotty
to infinity and beyond
i will be back
hasta la vista baby
here is johnny
houston we have a problem
elementary my dear watson
keep calm and carry on
just do it
i am the best
i am the greatest
i am the king
i am awesome
you are my sunshine
my only sunshine
you only live once
yolo swag
good morning
good night
hello world
hello kitty
goodbye world
welcome home
welcome to my world
home sweet home
money money money
show me the money
the truth is out there
the cake is a lie
all work and no play
an apple a day
better late than never
practice makes perfect
time is money
knowledge is power
love is blind
love conquers all
love you forever
forever and always
forever young
best friends forever
friends forever
one two three four
one two three four five
abc one two three
do re mi fa so la ti do
a b c d e f g
i am a student
nothing is impossible
impossible is nothing
no pain no gain
what goes around comes around
the sky is blue
the grass is green
roses are red violets are blue
sticks and stones
humpty dumpty sat on a wall
jack and jill went up the hill
hickory dickory dock
baa baa black sheep
pop goes the weasel
three blind mice
its a small world
the wheels on the bus
if you are happy and you know it
this little piggy
head shoulders knees and toes
jesus wept
give me liberty or give me death
i have a dream
we the people
four score and seven years ago
ask not what your country can do for you
one small step for man
the only thing we have to fear is fear itself
veni vidi vici
et tu brute
cogito ergo sum
e pluribus unum
semper fidelis
semper fi
in vino veritas
ad astra per aspera
memento mori
rest in peace
""".strip().splitlines()

# Endings people add to reach a length rule (punctuation disappears in the
# letters-and-digits form, so "!!!" and "123!" are covered by the digits).
SUFFIXES = ["1", "12", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "1234567890",
            "0", "00", "000", "01", "007", "69", "99", "111", "1111", "11111", "111111", "321", "4321", "54321",
            "2000", "2001", "2010", "2020", "2021", "2022", "2023", "2024", "2025", "2026", "2027"]
YEARS = [str(y) for y in range(1950, 2031)]

KEY_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"]


def alnum(s):
    return "".join(c for c in s.lower() if c.isalnum())


def keyboard_walks():
    rows = KEY_ROWS
    cols = ["".join(r[i] for r in rows if i < len(r)) for i in range(10)]   # 1qaz, 2wsx, …
    cols += ["".join(r[i] for r in rows[1:] if i < len(r)) for i in range(10)]  # qaz, wsx, … (no digits)
    diag = ["".join(rows[k][i + k] for k in range(4) if i + k < len(rows[k])) for i in range(10)]  # 1wdv …
    units = set()
    for seq in rows + cols + diag:
        units.add(seq)
        units.add(seq[::-1])
    walks = set()
    # whole rows chained, forwards and backwards, down and up the keyboard
    for order in itertools.permutations(rows, 2):
        walks.add("".join(order))
    for order in itertools.permutations(rows, 3):
        walks.add("".join(order))
    walks.add("".join(rows))
    walks.add("".join(r[::-1] for r in rows))
    # column zigzags: 1qaz2wsx3edc…, zaq1xsw2cde3…, and the diagonals
    for start in range(len(cols)):
        for n in range(3, 11 - start % 10):
            if start % 10 + n > 10:
                continue
            walks.add("".join(cols[start + k] for k in range(n)))
            walks.add("".join(cols[start + k][::-1] for k in range(n)))
            walks.add("".join(cols[start + k] for k in range(n))[::-1])
    for start in range(8):
        for n in range(3, 9 - start):
            walks.add("".join(diag[start + k] for k in range(n)))
            walks.add("".join(diag[start + k][::-1] for k in range(n)))
    # a row or column unit repeated: qwertyqwertyqwerty, 1qaz1qaz1qaz1qaz
    for u in units:
        for a in range(3, len(u) + 1):
            part = u[:a]
            reps = (MIN_LEN + len(part) - 1) // len(part)
            for k in range(reps, reps + 3):
                walks.add(part * k)
    # every 12–24 character window of the long walks
    out = set()
    for w in walks:
        if len(w) >= MIN_LEN:
            out.add(w)
        for n in range(MIN_LEN, min(len(w), 24) + 1):
            for i in range(0, len(w) - n + 1):
                out.add(w[i:i + n])
    return out


def sequences():
    out = set()
    digits = "01234567890123456789012345678901234567890"
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in range(MIN_LEN, 25):
        for i in range(10):
            out.add(digits[i:i + n])
            out.add(digits[i:i + n][::-1])
        for i in range(0, 27 - n):
            out.add(letters[i:i + n])
            out.add(letters[i:i + n][::-1])
        for c in "0123456789abcdefghijklmnopqrstuvwxyz":
            out.add(c * n)
    for unit in ["12", "123", "1234", "12345", "123456", "1234567890"[:7], "abc", "abcd", "abcde", "abc123",
                 "qwe", "asd", "zxc", "qwe123", "asd123", "zxc123", "01", "10", "69", "007", "aa", "ab",
                 "xo", "xyz", "lol", "haha", "hehe", "blah", "la", "na"]:
        for k in range(1, 13):
            s = unit * k
            if MIN_LEN <= len(s) <= 28:
                out.add(s)
    # dates written out: ddmmyyyy twice, 1990-style birth years doubled
    for y in YEARS:
        out.add(y * 3)
        out.add(y + y[::-1] + y)
    return out


def word_patterns():
    out = set()
    words = sorted(set(WORDS))
    for w in words:
        for k in (2, 3, 4):
            out.add(w * k)
        for suf in SUFFIXES + YEARS:
            out.add(w + suf)
        for suf in ("1", "12", "123", "1234", "12345", "123456"):
            out.add(w + w + suf)
        for pre in ("my", "the", "ilove", "iloveyou", "ilovemy", "mylittle", "mysweet", "super"):
            for suf in ("", "1", "123", "1234", "12345", "forever"):
                out.add(pre + w + suf)
    # the most common password words, two or three together
    common = ["password", "iloveyou", "sunshine", "princess", "football", "monkey", "dragon", "shadow",
              "master", "letmein", "welcome", "baseball", "superman", "batman", "qwerty", "trustno1",
              "freedom", "whatever", "michael", "jennifer", "jordan", "hunter", "charlie", "soccer",
              "secret", "admin", "login", "love", "angel", "baby", "jesus", "family", "forever", "hello"]
    for a, b in itertools.product(words, common):
        out.add(a + b)
        out.add(b + a)
    for a, b in itertools.product(common, common):
        for suf in ("", "1", "123", "1234", "12345", "123456"):
            out.add(a + b + suf)
    for a, b, c in itertools.product(common, common, common):
        out.add(a + b + c)
    return out


def phrase_patterns():
    out = set()
    for p in PHRASES:
        a = alnum(p)
        out.add(a)
        out.add(a * 2)
        out.add(alnum(p.replace(" ", "")) + alnum(p))
        for suf in SUFFIXES + YEARS[-40:]:
            out.add(a + suf)
        for pre in ("1", "123", "my", "i"):
            out.add(pre + a)
        # the first letters and the phrase's words swapped to title-less forms stay the same after folding
    return out


def main():
    entries = set()
    for gen in (keyboard_walks, sequences, word_patterns, phrase_patterns):
        entries |= gen()
    entries = {alnum(e) for e in entries}
    entries = sorted(e for e in entries if len(e) >= MIN_LEN and len(e) <= 64)
    entries.sort(key=lambda s: s.encode())
    sys.stdout.write("\n".join(entries) + "\n")
    long_ones = sum(1 for e in entries if len(e) >= 15)
    print("blocked-passphrases: %d entries, %d of 15+ characters" % (len(entries), long_ones), file=sys.stderr)


if __name__ == "__main__":
    main()
