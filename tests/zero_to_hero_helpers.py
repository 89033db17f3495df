"""The data of the Zero to Hero ports (tests/test_zero_to_hero_*.py): the lectures read names.txt (32,033
names), which is not available offline; a deterministic list of made-up names stands in, with every letter
of the alphabet, so the vocabulary is the lectures' 27 characters ('.' and a-z)."""

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


def build_dataset(words, stoi):
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


def splits():
    words = make_words(1000)
    _, stoi, itos = vocabulary(words)
    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    return (
        stoi,
        itos,
        build_dataset(words[:n1], stoi),
        build_dataset(words[n1:n2], stoi),
        build_dataset(words[n2:], stoi),
    )
