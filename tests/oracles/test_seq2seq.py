"""The seq2seq reference against PyTorch's own attention and Transformer modules on copied weights
(float64, every parameter randomised so that biases and LayerNorm gains count): its
cross-attention against F.scaled_dot_product_attention and nn.MultiheadAttention, its encoder
against a stack of nn.TransformerEncoderLayer(norm_first=True), the whole model against
nn.Transformer(norm_first=True) with a causal target mask."""
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from tfprep.content.reference_impls.seq2seq import CrossAttention, Seq2Seq  # noqa: E402

# nn.Transformer says it cannot use nested tensors with norm_first=True: true and irrelevant here.
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def randomise(module, seed):
    """Every parameter random (N(0, 0.3^2)); LayerNorm gains around 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for sub in module.modules():
            for name, p in sub.named_parameters(recurse=False):
                noise = torch.randn(p.shape, generator=g, dtype=p.dtype)
                gain = isinstance(sub, nn.LayerNorm) and name == "weight"
                p.copy_(1.0 + 0.2 * noise if gain else 0.3 * noise)
    return module


def heads(x, n_heads):
    B, T, C = x.shape
    return x.view(B, T, n_heads, C // n_heads).transpose(1, 2)  # (B, H, T, dh)


@pytest.mark.parametrize("B,T,S,D,H", [(2, 5, 7, 16, 4), (1, 6, 3, 12, 3), (3, 1, 8, 8, 1)])
def test_cross_attention_matches_sdpa_and_torch_mha(B, T, S, D, H):
    ca = randomise(CrossAttention(D, H).double(), seed=B * 100 + T * 10 + S)
    g = torch.Generator().manual_seed(7)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    memory = torch.randn(B, S, D, generator=g, dtype=torch.float64)
    ours = ca(x, memory)
    assert ours.shape == (B, T, D)
    with torch.no_grad():
        k, v = ca.kv(memory).split(D, dim=2)  # the k | v halves of the kv projection
        y = F.scaled_dot_product_attention(heads(ca.q(x), H), heads(k, H), heads(v, H))  # (B, H, T, dh)
        want = ca.proj(y.transpose(1, 2).reshape(B, T, D))
        torch.testing.assert_close(ours, want, rtol=1e-10, atol=1e-12)
        mha = nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
        mha.in_proj_weight.copy_(torch.cat([ca.q.weight, ca.kv.weight]))  # rows q | k | v
        mha.in_proj_bias.copy_(torch.cat([ca.q.bias, ca.kv.bias]))
        mha.out_proj.weight.copy_(ca.proj.weight)
        mha.out_proj.bias.copy_(ca.proj.bias)
        torch.testing.assert_close(ours, mha(x, memory, memory, need_weights=False)[0], rtol=1e-10, atol=1e-12)


def torch_transformer(model, D, H, L):
    """nn.Transformer (pre-LN, GELU, d_ff = 4 D) holding the reference's weights."""
    tf = nn.Transformer(D, H, num_encoder_layers=L, num_decoder_layers=L, dim_feedforward=4 * D, dropout=0.0,
                        activation="gelu", batch_first=True, norm_first=True, dtype=torch.float64)
    with torch.no_grad():
        def attn(dst, qkv_w, qkv_b, proj):
            dst.in_proj_weight.copy_(qkv_w)
            dst.in_proj_bias.copy_(qkv_b)
            dst.out_proj.weight.copy_(proj.weight)
            dst.out_proj.bias.copy_(proj.bias)

        def copy(dst, src):
            dst.weight.copy_(src.weight)
            dst.bias.copy_(src.bias)

        for ours, theirs in zip(model.encoder, tf.encoder.layers):
            attn(theirs.self_attn, ours.attn.qkv.weight, ours.attn.qkv.bias, ours.attn.proj)
            copy(theirs.norm1, ours.ln1)
            copy(theirs.norm2, ours.ln2)
            copy(theirs.linear1, ours.mlp.fc)
            copy(theirs.linear2, ours.mlp.proj)
        copy(tf.encoder.norm, model.ln_enc)
        for ours, theirs in zip(model.decoder, tf.decoder.layers):
            attn(theirs.self_attn, ours.self_attn.qkv.weight, ours.self_attn.qkv.bias, ours.self_attn.proj)
            ca = ours.cross_attn
            attn(theirs.multihead_attn, torch.cat([ca.q.weight, ca.kv.weight]), torch.cat([ca.q.bias, ca.kv.bias]),
                 ca.proj)
            copy(theirs.norm1, ours.ln1)
            copy(theirs.norm2, ours.ln2)
            copy(theirs.norm3, ours.ln3)
            copy(theirs.linear1, ours.mlp.fc)
            copy(theirs.linear2, ours.mlp.proj)
        copy(tf.decoder.norm, model.ln_f)
    return tf.eval()


@pytest.mark.parametrize("L,S,T", [(1, 7, 5), (2, 4, 8), (2, 8, 1)])
def test_matches_torch_transformer(L, S, T):
    V_src, V_tgt, D, H, max_len = 13, 11, 16, 4, 8
    model = randomise(Seq2Seq(V_src, V_tgt, D, H, L, max_len).double(), seed=L * 10 + S)
    tf = torch_transformer(model, D, H, L)
    g = torch.Generator().manual_seed(3)
    src = torch.randint(0, V_src, (2, S), generator=g)
    tgt_in = torch.randint(0, V_tgt, (2, T), generator=g)
    with torch.no_grad():
        x = model.src_emb(src) + model.src_pos(torch.arange(S))  # (B, S, D)
        y = model.tgt_emb(tgt_in) + model.tgt_pos(torch.arange(T))  # (B, T, D)
        torch.testing.assert_close(model.encode(src), tf.encoder(x), rtol=1e-10, atol=1e-10)
        causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)  # -inf above the diagonal
        want = model.head(tf(x, y, tgt_mask=causal, tgt_is_causal=True))
        got = model(src, tgt_in)
        assert got.shape == (2, T, V_tgt)
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(model.decode(tgt_in, model.encode(src)), got, rtol=0, atol=0)


def test_encoder_matches_torch_encoder_layers():
    """The encoder alone: a stack of nn.TransformerEncoderLayer(norm_first=True) and a final norm."""
    D, H, L, S = 24, 3, 2, 6
    model = randomise(Seq2Seq(9, 5, D, H, L, 8).double(), seed=11)
    layers = torch_transformer(model, D, H, L).encoder
    g = torch.Generator().manual_seed(4)
    src = torch.randint(0, 9, (3, S), generator=g)
    with torch.no_grad():
        x = model.src_emb(src) + model.src_pos(torch.arange(S))
        for layer in layers.layers:
            assert isinstance(layer, nn.TransformerEncoderLayer) and layer.norm_first
            x = layer(x)
        torch.testing.assert_close(model.encode(src), layers.norm(x), rtol=1e-10, atol=1e-10)


def test_too_long_is_refused():
    model = Seq2Seq(5, 5, 8, 2, 1, 4)
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, 5, dtype=torch.long), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, 3, dtype=torch.long), torch.zeros(1, 5, dtype=torch.long))
