"""Hidden suite for the `seq2seq` drill. Never copied into the learner's workspace.

The learner's architecture is free (pre-LN or post-LN, learned or sinusoidal positions, any
parameter names), so nothing here compares weights with the reference: every check probes a
property by perturbing one input and watching which outputs move. A dependence that must be
absent is an exact zero in any correct model (masked keys get weight 0), a dependence that must
be present moves the outputs by 1e-3 or more at these sizes, so one threshold far below that
separates them. Each classic bug fails a check that no other bug of the list fails, and is named
only there.
"""
from tfprep.grading import models as M  # noqa: I001

import torch
import torch.nn.functional as F

from tfprep.grading import checks as C
from tfprep.grading.adam import Adam

M.setup()

NAME = "Seq2Seq"
# Property checks: two vocabularies of different sizes (a model that swaps them fails plainly).
SRC_V, TGT_V, D, H, L, MAX_LEN = 13, 11, 32, 4, 1, 8
TOL = 1e-5  # a "change" is a max abs difference above TOL * (1 + max |output|)

BUG_DECODER_LEAK = "decoder not causal (its self-attention lets position t see tgt_in after t)"
BUG_CROSS_FROM_DECODER = ("cross-attention keys/values taken from the decoder instead of the encoder output "
                          "(the model ignores src)")
BUG_ENCODER_CAUSAL = "encoder masked causally (an encoder position cannot see later src tokens)"
BUG_CROSS_CAUSAL = "cross-attention masked causally (target position t sees only part of the source)"
BUG_SHIFTED_AGAIN = ("teacher forcing shifted twice (the model shifts tgt_in right again, so logits[:, t] "
                     "never sees tgt_in[:, t])")


# --- calling the learner's model ------------------------------------------------------------

def build(sub, *args):
    """The learner's model in eval mode (a dropout or batch norm a learner added, against the
    statement, must not make outputs move by themselves); training switches to train mode."""
    model = M.build(sub, NAME, *(args or (SRC_V, TGT_V, D, H, L, MAX_LEN)))
    M.call(model.eval, what="model.eval()")
    return model


_WARM: dict = {}


def _warm_up(model):
    gen = torch.Generator().manual_seed(10)
    src, tgt, target = tokens(gen, 4, 6, SRC_V), tokens(gen, 4, 5, TGT_V), tokens(gen, 4, 5, TGT_V)
    torch.manual_seed(M.SEED)
    model.train()
    opt = Adam(model.parameters(), lr=1e-2)
    for _ in range(2):
        opt.zero_grad()
        logits = model(src, tgt)
        F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1)).backward()
        opt.step()
    model.eval()


def probe_model(sub):
    """The model the property checks probe (built once): the learner's, after two Adam steps
    (lr 1e-2) on random tokens, in eval mode. At a generic point of weight space a dependence the
    architecture has shows; at the initialisation it may not (a zero-initialised output projection,
    as some codebases use, hides everything its branch reads)."""
    if "model" not in _WARM:
        model = build(sub)
        M.call(_warm_up, model, what="two Adam steps on random tokens")
        _WARM["model"] = model
    return _WARM["model"]


def _no_grad(fn, *args):
    with torch.no_grad():
        return fn(*args)


def method(model, name):
    fn = getattr(model, name, None)
    if not callable(fn):
        sig = {"encode": "encode(src) -> memory (B, S, d_model)",
               "decode": "decode(tgt_in, memory) -> logits (B, T, tgt_vocab)"}[name]
        C.fail(f"`Seq2Seq` has no method `{sig}`: the statement requires it (forward must equal "
               "decode(tgt_in, encode(src))).")
    return fn


def forward(model, src, tgt_in, deep=False, tgt_vocab=TGT_V):
    got = M.call(_no_grad, model, src, tgt_in, what="forward(src, tgt_in)", deep=deep)
    out = M.as_tensor(got, "forward(src, tgt_in)", (src.shape[0], tgt_in.shape[1], tgt_vocab))
    C.expect(torch.isfinite(out).all(), "`forward(src, tgt_in)` returned NaN or inf on ordinary tokens "
             f"(src {tuple(src.shape)}, tgt_in {tuple(tgt_in.shape)}).")
    return out


def encode(model, src):
    got = M.call(_no_grad, method(model, "encode"), src, what="encode(src)")
    return M.as_tensor(got, "encode(src)", (src.shape[0], src.shape[1], D))


def decode(model, tgt_in, memory):
    got = M.call(_no_grad, method(model, "decode"), tgt_in, memory, what="decode(tgt_in, memory)")
    return M.as_tensor(got, "decode(tgt_in, memory)", (tgt_in.shape[0], tgt_in.shape[1], TGT_V))


def tokens(gen, B, T, vocab):
    return torch.randint(0, vocab, (B, T), generator=gen)


def other(gen, ids, vocab):
    """Each token replaced by a different one."""
    return (ids + torch.randint(1, vocab, ids.shape, generator=gen)) % vocab


def change(a, b):
    """Max abs difference per position (dim 1) of two (B, T, ...) outputs."""
    return (a - b).abs().flatten(2).amax(dim=(0, 2))


def moved(a, b):
    """Per position (dim 1): did the output change (beyond float32 noise)?"""
    return change(a, b) > TOL * (1.0 + float(a.abs().max()))


# --- what the model depends on (used to tell bugs apart) -----------------------------------

def reads_src(model, gen, src_vocab=SRC_V, tgt_vocab=TGT_V):
    """Does any logit change when the whole source changes?"""
    src, tgt = tokens(gen, 2, 6, src_vocab), tokens(gen, 2, 5, tgt_vocab)
    before = forward(model, src, tgt, tgt_vocab=tgt_vocab)
    return bool(moved(before, forward(model, other(gen, src, src_vocab), tgt, tgt_vocab=tgt_vocab)).any())


def leaks_future(model, gen):
    """Does logits[:, 0] change when every later target token changes?"""
    src, tgt = tokens(gen, 2, 6, SRC_V), tokens(gen, 2, 5, TGT_V)
    tgt2 = tgt.clone()
    tgt2[:, 1:] = other(gen, tgt[:, 1:], TGT_V)
    return bool(moved(forward(model, src, tgt)[:, :1], forward(model, src, tgt2)[:, :1]).any())


# --- the checks -----------------------------------------------------------------------------

def test_shapes_and_dtype(sub):
    """forward returns float32 logits (B, T, tgt_vocab) for S != T, up to max_len"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(1)
    for i, (B, S, T) in enumerate([(2, 7, 5), (3, 3, 8), (1, MAX_LEN, MAX_LEN), (2, 1, 1)]):
        src, tgt = tokens(gen, B, S, SRC_V), tokens(gen, B, T, TGT_V)
        src[0, 0], tgt[0, 0] = SRC_V - 1, TGT_V - 1  # the largest ids of each vocabulary occur
        forward(model, src, tgt, deep=i == 0)
        memory = encode(model, src)
        decode(model, tgt, memory)


def test_forward_is_decode_of_encode(sub):
    """forward(src, tgt_in) equals decode(tgt_in, encode(src))"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(2)
    src, tgt = tokens(gen, 2, 6, SRC_V), tokens(gen, 2, 4, TGT_V)
    want = forward(model, src, tgt)
    got = decode(model, tgt, encode(model, src))
    M.expect_close(got, want, what="decode(tgt_in, encode(src))", case="compared with forward(src, tgt_in)",
                   rtol=1e-5, atol=1e-6)


def test_decoder_causal(sub):
    """Decoder is causal: target tokens after t do not change the logits at positions <= t"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(3)
    src, tgt = tokens(gen, 2, 6, SRC_V), tokens(gen, 2, 7, TGT_V)
    base = forward(model, src, tgt)
    for t in (0, 2, 5):
        tgt2 = tgt.clone()
        tgt2[:, t + 1:] = other(gen, tgt[:, t + 1:], TGT_V)
        after = forward(model, src, tgt2)
        leak = moved(base[:, :t + 1], after[:, :t + 1])
        if leak.any():
            sees_src = reads_src(model, gen)
            why = ("Look at the mask of the decoder's self-attention: query i may attend to keys j <= i only."
                   if sees_src else
                   "The logits do not depend on src either: cross-attention whose keys and values come from the "
                   "decoder stream (unmasked) instead of the encoder output does both; see the cross-attention check.")
            where = [int(p) for p in leak.nonzero().flatten()]
            size = float(change(base, after)[:t + 1].max())
            who = "position 0 sees" if t == 0 else f"positions <= {t} see"
            C.fail(f"Changing only tgt_in[:, {t + 1}:] changed the logits at positions {where} (max change "
                   f"{size:.3g}); {who} later target tokens. {why}", BUG_DECODER_LEAK if sees_src else None)


def test_not_shifted_again(sub):
    """logits[:, t] depends on tgt_in[:, t] (the model uses tgt_in as given, no second shift)"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(4)
    T = 6
    src, tgt = tokens(gen, 2, 5, SRC_V), tokens(gen, 2, T, TGT_V)
    base = forward(model, src, tgt)
    blind, next_moves = [], []
    for t in range(T):
        tgt2 = tgt.clone()
        tgt2[:, t] = other(gen, tgt[:, t], TGT_V)
        m = moved(base, forward(model, src, tgt2))
        if not m[t]:
            blind.append(t)
        if t + 1 < T:
            next_moves.append(bool(m[t + 1]))
    if blind:
        shifted = blind == list(range(T)) and all(next_moves)
        how = ("Changing tgt_in[:, t] moves logits[:, t + 1] instead: the model shifts tgt_in right once more. "
               "tgt_in is already the start token followed by the target shifted right; logits[:, t] is scored "
               "against target[:, t] and must see tgt_in[:, :t + 1]." if shifted else
               "logits[:, t] should depend on tgt_in[:, :t + 1], its own position included.")
        C.fail(f"Changing tgt_in[:, t] left logits[:, t] unchanged for t in {blind} (T = {T}). {how}",
               BUG_SHIFTED_AGAIN if shifted else None)


def test_encoder_bidirectional(sub):
    """Encoder is bidirectional: the last src token changes the encoder output at every position"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(5)
    S = 7
    src = tokens(gen, 2, S, SRC_V)
    base = encode(model, src)
    late, early = src.clone(), src.clone()
    late[:, -1] = other(gen, src[:, -1], SRC_V)
    early[:, 0] = other(gen, src[:, 0], SRC_V)
    by_late = moved(base, encode(model, late))
    if by_late.all():
        return
    blind = [int(p) for p in (~by_late).nonzero().flatten()]
    sees_earlier = bool(moved(base, encode(model, early))[-1])
    causal = blind == list(range(S - 1)) and sees_earlier
    how = ("Later positions do see earlier tokens, so the encoder's self-attention has a causal mask: the encoder "
           "reads the whole source at once and needs none (only the decoder is causal)." if causal else
           "Every encoder position should attend to every source position.")
    C.fail(f"Changing only src[:, {S - 1}] left encode(src) unchanged at positions {blind} (S = {S}). {how}",
           BUG_ENCODER_CAUSAL if causal else None)


def test_cross_attention_reads_encoder(sub):
    """Cross-attention reads the encoder: src changes the logits at every target position, 0 included"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(6)
    src, tgt = tokens(gen, 2, 6, SRC_V), tokens(gen, 2, 5, TGT_V)
    base = forward(model, src, tgt)
    for what, src2 in (("every src token", other(gen, src, SRC_V)),
                       ("only src[:, -1]", torch.cat([src[:, :-1], other(gen, src[:, -1:], SRC_V)], 1))):
        m = moved(base, forward(model, src2, tgt))
        if m.all():
            continue
        blind = [int(p) for p in (~m).nonzero().flatten()]
        if m.any():
            C.fail(f"Changing {what} left the logits unchanged at target positions {blind}: every target position "
                   "attends to the whole encoder output (cross-attention has no mask).")
        leaks = leaks_future(model, gen)
        why = ("The decoder also sees future target tokens: the cross-attention takes its keys and values from the "
               "decoder stream (unmasked) instead of from memory, the encoder output." if leaks else
               "The decoder never reads the encoder output: keys and values of cross-attention are projections of "
               "memory = encode(src), queries come from the decoder.")
        C.fail(f"Changing {what} left every logit unchanged: the model ignores the source. {why}",
               BUG_CROSS_FROM_DECODER if leaks else None)


def test_cross_attention_sees_all_memory(sub):
    """Cross-attention has no mask: the last memory position changes the logits at every target position"""
    model = probe_model(sub)
    gen = torch.Generator().manual_seed(8)
    S, T = 5, 7  # T > S: the two alignments of a causal mask hide different prefixes
    src, tgt = tokens(gen, 2, S, SRC_V), tokens(gen, 2, T, TGT_V)
    memory = encode(model, src)
    late = memory.clone()
    late[:, -1] += torch.randn(late[:, -1].shape, generator=gen)
    m = moved(decode(model, tgt, memory), decode(model, tgt, late))
    if m.all():
        return
    blind = [int(p) for p in (~m).nonzero().flatten()]
    # A (T, S) causal mask hides key S-1 from the queries t < S-1 (top-left: key j <= t) or
    # t < T-1 (bottom-right: key j <= t + S - T).
    masked = blind in (list(range(S - 1)), list(range(T - 1)))
    how = ("The hidden positions are exactly those a causal mask hides: the cross-attention applies the "
           "decoder's causal mask; the whole source is known before decoding, so cross-attention needs no mask."
           if masked else "Every target position should attend to every memory position.")
    C.fail(f"Changing only memory[:, {S - 1}] (decode(tgt_in, memory), S = {S}, T = {T}) left the logits unchanged at "
           f"target positions {blind}. {how}", BUG_CROSS_CAUSAL if masked else None)


def _grads(model, src, tgt_in, target, steps):
    """Gradients of the cross-entropy after `steps` Adam steps on the same batch (a model that
    starts with a zero-initialised projection gets its other gradients after one step)."""
    opt = Adam(model.parameters(), lr=1e-3)
    for i in range(steps + 1):
        opt.zero_grad()
        logits = model(src, tgt_in)
        F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1)).backward()
        if i < steps:
            opt.step()
    return {name: (None if p.grad is None else p.grad.detach().clone()) for name, p in model.named_parameters()}


def test_gradients_reach_every_parameter(sub):
    """A loss on the logits sends a gradient to every parameter"""
    gen = torch.Generator().manual_seed(7)
    src, tgt, target = tokens(gen, 4, MAX_LEN, SRC_V), tokens(gen, 4, MAX_LEN, TGT_V), tokens(gen, 4, MAX_LEN, TGT_V)
    # Every id of each vocabulary occurs (embedding rows) and S = T = max_len (position rows).
    src.view(-1)[:SRC_V], tgt.view(-1)[:TGT_V] = torch.arange(SRC_V), torch.arange(TGT_V)
    model = build(sub)
    C.expect(len(list(model.parameters())) > 0, "`Seq2Seq` has no parameters.")
    missing = None
    for steps in (0, 2):
        torch.manual_seed(M.SEED)
        grads = M.call(_grads, model, src, tgt, target, steps, what="forward and backward")
        missing = [n for n, g in grads.items() if g is None or not bool(g.abs().max() > 0)]
        if not missing:
            return
        model = build(sub)
    n = len(list(model.parameters()))
    C.fail(f"{len(missing)} of {n} parameters get no gradient from a cross-entropy on the logits "
           f"(S = T = max_len, every token id present): {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}. "
           "A parameter without a gradient is never used by forward (a layer built but not called, the encoder "
           "when nothing reads its output, a module used under torch.no_grad or after .detach()).")


# --- training: sequence reversal ------------------------------------------------------------

N_SYM = 10  # source symbols 0..9; the target vocabulary adds START = 10
START = N_SYM
TRAIN_CFG = (N_SYM, N_SYM + 1, 48, 4, 1, 8)  # src_vocab, tgt_vocab, d_model, n_heads, n_layers, max_len
LENGTHS = (6, 7, 8)
BATCH, LR, EVAL_EVERY, SRC_CHECK_AT = 128, 3e-3, 10, 20
BUDGET = 1000  # steps. Steps to 95% (init seeds 0-4 where several): the reference 90-130, nanoGPT-style
# 70-80, post-LN sinusoidal 100-110; slow but correct variants (no final encoder norm with GPT-2 init,
# post-LN with a tied N(0, 1) head) 360-520. A model that learns stops early, so only a failing one
# runs the whole budget (25-50 s on a shared 2-core machine).
TARGET_ACC = 0.95


def reversal_batch(gen, B, S):
    """src (B, S) random symbols; target = src reversed; tgt_in = START + target[:, :-1]."""
    src = torch.randint(0, N_SYM, (B, S), generator=gen)
    target = src.flip(1)
    tgt_in = torch.cat([torch.full((B, 1), START), target[:, :-1]], dim=1)
    return src, tgt_in, target


def held_out():
    gen = torch.Generator().manual_seed(1234)
    return [reversal_batch(gen, 64, S) for S in LENGTHS]


def _train_reversal(model, held):
    """Adam on fresh batches (never a held-out sequence); every EVAL_EVERY steps the greedy token
    accuracy on the held-out sequences under teacher forcing. Stops early when a model still
    ignores src after SRC_CHECK_AT steps (it cannot learn reversal). -> (step reached or None,
    accuracy, last loss, ignores src)."""
    seen = {tuple(s.tolist()) for src, _, _ in held for s in src}
    gen = torch.Generator().manual_seed(99)
    torch.manual_seed(M.SEED)
    opt = Adam(model.parameters(), lr=LR)
    acc, loss_value = 0.0, float("nan")
    for step in range(1, BUDGET + 1):
        S = LENGTHS[step % len(LENGTHS)]
        src, tgt_in, target = reversal_batch(gen, BATCH, S)
        keep = torch.tensor([tuple(s.tolist()) not in seen for s in src])
        src, tgt_in, target = src[keep], tgt_in[keep], target[keep]
        model.train()
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
        loss_value = float(loss)
        if loss_value != loss_value or abs(loss_value) == float("inf"):
            return None, acc, loss_value, False
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % EVAL_EVERY == 0:
            model.eval()
            with torch.no_grad():
                right = sum(int((model(s, ti).argmax(-1) == t).sum()) for s, ti, t in held)
                if step == SRC_CHECK_AT:
                    s, ti, _ = held[0]
                    if not moved(model(s, ti), model((s + 1) % N_SYM, ti)).any():
                        return None, right / sum(t.numel() for _, _, t in held), loss_value, True
            acc = right / sum(t.numel() for _, _, t in held)
            if acc >= TARGET_ACC:
                return step, acc, loss_value, False
    return None, acc, loss_value, False


def test_learns_reversal(sub):
    """Learns to reverse sequences: >= 95% held-out token accuracy within the step budget"""
    model = build(sub, *TRAIN_CFG)
    held = held_out()
    step, acc, loss, blind = M.call(_train_reversal, model, held, what="training on sequence reversal")
    C.expect(not blind, f"After {SRC_CHECK_AT} training steps the logits still do not depend on src at all, so no "
             "amount of training can teach reversal (training stopped there). See the cross-attention check: its "
             "keys and values must come from memory = encode(src).")
    C.expect(loss == loss, f"The training loss became NaN (held-out accuracy {acc:.1%} before that). Look for a "
             "mask or softmax that produces NaN, or exploding values.")
    if step is not None:
        C.note(f"reversal learned: {acc:.1%} held-out token accuracy after {step} of {BUDGET} steps")
        return
    C.fail(f"After {BUDGET} Adam steps (lr {LR}, batches of {BATCH}, lengths {LENGTHS[0]}-{LENGTHS[-1]}) the "
           f"held-out token accuracy under teacher forcing is {acc:.1%} (last training loss {loss:.3f}); "
           f"{TARGET_ACC:.0%} was needed (the reference needs about 100). Reversal needs positions: "
           "target[:, t] = src[:, S-1-t], so check that both streams add their positions, that the decoder reads "
           "memory, and that the token embeddings do not drown the positions (nn.Embedding starts at N(0, 1): "
           "multiplying it by sqrt(d_model) makes positions of size 1 hard to see).")
