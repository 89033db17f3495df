"""d2l's text helpers (chapter 9.2: ``read_time_machine``, ``tokenize``, ``Vocab``, ``load_corpus_time_machine``)
written as the book defines them, for tests/test_d2l_ports_rnn*.py, on the opening paragraph of H. G. Wells'
*The Time Machine* (1895, public domain; the book's own corpus) written here, so nothing is downloaded.
"""

import collections
import re

TIME_MACHINE = """The Time Traveller (for so it will be convenient to speak of him) was expounding a recondite
matter to us. His grey eyes shone and twinkled, and his usually pale face was flushed and animated.
The fire burned brightly, and the soft radiance of the incandescent lights in the lilies of silver
caught the bubbles that flashed and passed in our glasses. Our chairs, being his patents, embraced
and caressed us rather than submitted to be sat upon, and there was that luxurious after-dinner
atmosphere when thought roams gracefully free of the trammels of precision."""


def read_time_machine():
    """The book's: letters only, lower case, one entry a line."""
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in TIME_MACHINE.split("\n")]


def tokenize(lines, token="word"):
    if token == "word":
        return [line.split() for line in lines]
    return [list(line) for line in lines]


def count_corpus(tokens):
    if len(tokens) == 0 or isinstance(tokens[0], list):
        tokens = [token for line in tokens for token in line]
    return collections.Counter(tokens)


class Vocab:
    """Tokens to indices, the most frequent first after ``<unk>`` (index 0)."""

    def __init__(self, tokens=None, min_freq=0, reserved_tokens=None):
        counter = count_corpus(tokens or [])
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = ["<unk>"] + (reserved_tokens or [])
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]


def load_corpus_time_machine():
    tokens = tokenize(read_time_machine(), "char")
    vocab = Vocab(tokens)
    return [vocab[token] for line in tokens for token in line], vocab
