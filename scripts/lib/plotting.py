"""matplotlib's pyplot for the plotting scripts, drawing to files (installed with pip if missing)."""
import subprocess
import sys


def pyplot():
    try:
        import matplotlib
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib"], check=True)
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt
