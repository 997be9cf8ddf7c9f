"""matplotlib's pyplot for the plotting scripts, drawing to files (scripts/demo and scripts/test install matplotlib)."""
import sys


def pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.exit(f"matplotlib is not installed for {sys.executable}: run `python3 -m pip install matplotlib` "
                 "(scripts/demo and scripts/test install it)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
