"""The data of the Zero to Hero ports (tests/test_zero_to_hero_*.py): the lectures read names.txt (32,033
names), which is not available offline; a deterministic list of made-up names stands in, with every letter
of the alphabet, so the vocabulary is the lectures' 27 characters ('.' and a-z). The GPT lecture's tiny
shakespeare (1.1 MB) is replaced by its first thousand characters, the opening of Coriolanus (public domain)."""

import random

import autograd_core as ag

torch = ag  # the lectures' own spelling


def make_words(count=300, seed=0):
    """Made-up names of one to three syllables: structure a bigram model can learn, all 26 letters."""
    rng = random.Random(seed)
    onsets = [
        "b",
        "c",
        "d",
        "f",
        "g",
        "h",
        "j",
        "k",
        "l",
        "m",
        "n",
        "p",
        "qu",
        "r",
        "s",
        "t",
        "v",
        "w",
        "x",
        "z",
        "br",
        "ch",
        "sh",
        "th",
    ]
    vowels = ["a", "e", "i", "o", "u", "y", "ia", "ee"]
    endings = ["", "", "", "n", "h", "lyn", "s", "x"]
    words = []
    for _ in range(count):
        syllables = [rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3))]
        words.append("".join(syllables) + rng.choice(endings))
    return words


def vocabulary(words):
    chars = sorted(list(set("".join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    return chars, stoi, itos


block_size = 3  # context length: how many characters do we take to predict the next one?


def build_dataset(words, stoi, block_size=block_size):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    return X, Y


def splits(block_size=block_size):
    """(stoi, itos, train, dev, test): the names shuffled as the lectures do, each split as (X, Y)."""
    words = make_words(1000)
    _, stoi, itos = vocabulary(words)
    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    return (
        stoi,
        itos,
        build_dataset(words[:n1], stoi, block_size),
        build_dataset(words[n1:n2], stoi, block_size),
        build_dataset(words[n2:], stoi, block_size),
    )


# The start of tiny shakespeare: the first 999 characters of Coriolanus, for test_zero_to_hero_gpt.py
tiny_shakespeare = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.

All:
We know't, we know't.

First Citizen:
Let us kill him, and we'll have corn at our own price.
Is't a verdict?

All:
No more talking on't; let it be done: away, away!

Second Citizen:
One word, good citizens.

First Citizen:
We are accounted poor citizens, the patricians good.
What authority surfeits on would relieve us: if they
would yield us but the superfluity, while it were
wholesome, we might guess they relieved us humanely;
but they think we are too dear: the leanness that
afflicts us, the object of our misery, is as an
inventory to particularise their abundance; our
sufferance is a gain to them Let us revenge this with
our pikes, ere we become rakes: for the gods know I
speak this in hunger for bread, not in thirst for revenge.
"""
