"""A BERT encoder in plain torch: config.json and safetensors weights in, last hidden state out.

transformers' model code would add ~150 MB of modules that inference never runs (sympy, scipy,
torch._dynamo); this is the same forward pass as its BertModel with torch alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file


@dataclass(frozen=True)
class BertConfig:
    """The parts of a BertModel's config.json that its forward pass needs."""

    hidden_size: int
    layers: int
    heads: int
    layer_norm_eps: float
    max_positions: int
    type_vocab_size: int

    @classmethod
    def read(cls, path: Path) -> BertConfig:
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("model_type") != "bert":
            raise ValueError(f"{path}: model_type is {config.get('model_type')!r}, not 'bert'")
        # BERT's "gelu" is the exact (erf) form; other activations are other models.
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: hidden_act {config['hidden_act']!r} is not supported")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute position embeddings are supported")
        hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        if hidden % heads:
            raise ValueError(f"{path}: hidden_size {hidden} is not a multiple of {heads} heads")
        return cls(
            hidden_size=hidden,
            layers=int(config["num_hidden_layers"]),
            heads=heads,
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
            max_positions=int(config["max_position_embeddings"]),
            type_vocab_size=int(config.get("type_vocab_size", 0)),
        )


@dataclass(frozen=True)
class _Layer:
    qkv: tuple[torch.Tensor, torch.Tensor]  # query, key and value stacked: one matmul
    attention_out: tuple[torch.Tensor, torch.Tensor]
    attention_norm: tuple[torch.Tensor, torch.Tensor]
    intermediate: tuple[torch.Tensor, torch.Tensor]
    out: tuple[torch.Tensor, torch.Tensor]
    out_norm: tuple[torch.Tensor, torch.Tensor]


class BertEncoder:
    """BertModel's forward pass for inference; `encoder(ids, mask)` is its last hidden state."""

    def __init__(self, config: BertConfig, weights: dict[str, torch.Tensor]) -> None:
        self.config = config
        # A checkpoint of a task model (BertForMaskedLM, ...) keeps the encoder under "bert.".
        if not any(key.startswith("embeddings.") for key in weights):
            weights = {key.removeprefix("bert."): value for key, value in weights.items()}

        def take(name: str) -> torch.Tensor:
            try:
                return weights[name].float()
            except KeyError:
                raise ValueError(f"the weights have no {name!r}") from None

        def pair(prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
            return take(f"{prefix}.weight"), take(f"{prefix}.bias")

        self.word = take("embeddings.word_embeddings.weight")
        self.positions = take("embeddings.position_embeddings.weight")
        self.types = (
            take("embeddings.token_type_embeddings.weight") if config.type_vocab_size else None
        )
        self.embedding_norm = pair("embeddings.LayerNorm")
        self.layers = []
        for at in range(config.layers):
            prefix = f"encoder.layer.{at}"
            parts = [pair(f"{prefix}.attention.self.{name}") for name in ("query", "key", "value")]
            self.layers.append(
                _Layer(
                    qkv=(torch.cat([w for w, _ in parts]), torch.cat([b for _, b in parts])),
                    attention_out=pair(f"{prefix}.attention.output.dense"),
                    attention_norm=pair(f"{prefix}.attention.output.LayerNorm"),
                    intermediate=pair(f"{prefix}.intermediate.dense"),
                    out=pair(f"{prefix}.output.dense"),
                    out_norm=pair(f"{prefix}.output.LayerNorm"),
                )
            )

    @classmethod
    def load(cls, directory: Path) -> BertEncoder:
        """The encoder of a directory holding config.json and model.safetensors."""
        config = BertConfig.read(directory / "config.json")
        # load_file maps the file rather than reading it: a page of weights becomes resident
        # when first used, so the rows of words never seen (most of the 47 MB vocabulary
        # table) cost no memory.
        return cls(config, load_file(str(directory / "model.safetensors")))

    def __call__(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The last hidden state, (batch, tokens, hidden), of padded `input_ids` whose real
        tokens `attention_mask` marks with 1."""
        config = self.config
        batch, width = input_ids.shape
        if width > config.max_positions:
            raise ValueError(f"{width} tokens is more than the model's {config.max_positions}")
        x = F.embedding(input_ids, self.word) + self.positions[:width]
        if self.types is not None:
            x = x + (
                self.types[0] if token_type_ids is None else F.embedding(token_type_ids, self.types)
            )
        x = self._norm(x, self.embedding_norm)
        # Every query may look at the real tokens only: True where the key takes part.
        keys = attention_mask.bool()[:, None, None, :]
        heads, size = config.heads, config.hidden_size // config.heads
        for layer in self.layers:
            qkv = F.linear(x, *layer.qkv).view(batch, width, 3, heads, size).permute(2, 0, 3, 1, 4)
            context = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=keys)
            context = context.transpose(1, 2).reshape(batch, width, config.hidden_size)
            x = self._norm(F.linear(context, *layer.attention_out) + x, layer.attention_norm)
            hidden = F.gelu(F.linear(x, *layer.intermediate))
            x = self._norm(F.linear(hidden, *layer.out) + x, layer.out_norm)
        return x

    def _norm(self, x: torch.Tensor, weights: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return F.layer_norm(x, (self.config.hidden_size,), *weights, self.config.layer_norm_eps)
