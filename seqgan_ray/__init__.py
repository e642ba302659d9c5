"""seqgan-ray: SeqGAN (Yu et al., AAAI 2017) as a Ray-distributed PyTorch trainer.

The Python API (seqgan_ray.api: preset, change, train, experiment, sweep, load_run, Run,
load_results) is importable from here:

    from seqgan_ray import change, load_run, preset, train
"""

# The one version string: pyproject.toml reads it from here ([tool.setuptools.dynamic]), the
# wheel's metadata carries it, and `seqgan-ray --version` prints it.
__version__ = "0.1.0"

from seqgan_ray import api  # noqa: E402  (after __version__, which the build reads statically)
from seqgan_ray.api import *  # noqa: E402, F403
from seqgan_ray.config import RunConfig  # noqa: E402

__all__ = ["RunConfig", "__version__", *api.__all__]
