# A correct solution in plain Python: heapq picks the candidates, and the search stops early
# once the best finished hypothesis beats every live one (log-probs <= 0 never raise a score).
import heapq


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    beams = [(0.0, (bos,))]
    best_done = None
    length = 1
    while length < max_len and beams:
        cands = []
        for score, seq in beams:
            lp = step_log_probs(list(seq))
            for tok in range(len(lp)):
                cands.append((score + float(lp[tok]), seq + (tok,)))
        top = heapq.nlargest(len(cands), cands, key=lambda c: c[0])
        for score, seq in top[:beam_width]:
            if seq[-1] == eos and (best_done is None or score > best_done[0]):
                best_done = (score, seq)
        beams = [c for c in top if c[1][-1] != eos][:beam_width]
        length += 1
        if best_done is not None and beams and best_done[0] >= max(s for s, _ in beams):
            break
    pool = list(beams) + ([best_done] if best_done else [])
    return list(max(pool, key=lambda c: c[0])[1])
