# expect-bug: not a Triton kernel: the host code computes the result
import torch


def softmax(x):
    return torch.softmax(x.float(), dim=-1).to(x.dtype)
