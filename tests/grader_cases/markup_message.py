# Fails with a message full of Rich markup: the report must print it as it is.
def scaled_dot_product_attention(q, k, v, mask=None):
    raise ValueError("pairs (x[i], x[i + d/2]) and [bold]not bold[/bold]")
