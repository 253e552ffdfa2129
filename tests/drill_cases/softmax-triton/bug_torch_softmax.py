# expect-bug: not a Triton kernel: the result is computed by PyTorch
import torch


def softmax(x):
    return torch.softmax(x.float(), dim=-1).to(x.dtype)
