# A correct solution written with NumPy: all candidates as one (beams, V) score matrix, ranked
# with argsort over its flattened view (the way batched decoders in Hugging Face pick 2k).
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    seqs = [[bos]]
    scores = np.zeros(1)
    finished = []  # (score, seq)
    for _ in range(max_len - 1):
        log_p = np.stack([np.asarray(step_log_probs(list(s)), dtype=np.float64) for s in seqs])  # (beams, V)
        cand = scores[:, None] + log_p
        vocab = cand.shape[1]
        order = np.argsort(-cand, axis=None, kind="stable")
        new_seqs, new_scores = [], []
        for rank, flat in enumerate(order):
            beam, tok = divmod(int(flat), vocab)
            if tok == eos:
                if rank < beam_width:
                    finished.append((float(cand[beam, tok]), seqs[beam] + [tok]))
                continue
            new_seqs.append(seqs[beam] + [tok])
            new_scores.append(cand[beam, tok])
            if len(new_seqs) == beam_width:
                break
        if not new_seqs:
            break
        seqs, scores = new_seqs, np.array(new_scores)
    pool = finished + [(float(s), q) for s, q in zip(scores, seqs)]
    return max(pool, key=lambda x: x[0])[1]
