"""Corpora: the paper's split sizes, the vocabulary, the checks on the corpus files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from archsim.config import ConfigError, corpus
from archsim.train.data import encode, load_corpus


@pytest.mark.parametrize(
    ("name", "vocab", "train", "test"),
    [("warpeace", 87, 2_933_246, 325_000), ("linux", 97, 6_111_421, 337_040)],
)
def test_builtin_corpora_split_and_vocab(name, vocab, train, test):
    corpus = load_corpus(name, vocab)
    assert corpus.vocab_size == vocab
    assert (len(corpus.train), len(corpus.test)) == (train, test)
    assert corpus.train.max() == vocab - 1 or corpus.test.max() == vocab - 1
    assert np.all(np.diff(corpus.symbols.astype(int)) > 0)


def test_vocab_mismatch_names_the_field():
    with pytest.raises(ConfigError, match=r"lstm2-64-wp.yaml: vocab_size: 80 .* 87 distinct"):
        load_corpus("warpeace", 80, source="workloads/lstm2-64-wp.yaml")


def test_corrupt_corpus_fails_the_checksum(tmp_path, monkeypatch):
    (tmp_path / "warpeace_input.txt.gz").write_bytes(gzip.compress(b"not war and peace"))
    monkeypatch.setattr(corpus, "DATA_DIR", tmp_path)
    with pytest.raises(ConfigError, match="SHA-256"):
        load_corpus("warpeace")


def test_corpus_by_path_is_split_last_ten_percent(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abcab" * 20)
    corpus = load_corpus(str(path), 3)
    assert (len(corpus.train), len(corpus.test)) == (90, 10)
    assert bytes(corpus.symbols) == b"abc"
    assert corpus.train[:5].tolist() == [0, 1, 2, 0, 1]


def test_missing_corpus_is_a_clear_error():
    with pytest.raises(ConfigError, match="neither a built-in corpus"):
        load_corpus("/no/such/file.txt", source="my.yaml")


def test_encode_maps_sorted_byte_values():
    symbols, idx = encode(b"zaz\n")
    assert bytes(symbols) == b"\naz"
    assert idx.tolist() == [2, 1, 2, 0]
