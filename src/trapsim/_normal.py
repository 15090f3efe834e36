"""The standard normal's CDF (``ndtr``) and its inverse (``ndtri``), bit for bit as ``scipy.special``'s.

Importing ``scipy.special`` costs about 0.1 s (0.17 s in a fresh worker process), more than a
whole ``trapsim run`` spends drawing; the truncated normal needs only these two functions. Both
follow the algorithms scipy uses (Stephen L. Moshier's Cephes library, BSD licence, as carried
by scipy's ``xsf`` headers ``cephes/ndtr.h``, ``ndtri.h`` and ``polevl.h``): fixed rational
approximations evaluated by Horner's rule, with the same operations in the same order, so that
each result is the same double as scipy's (``tests/test_normal.py`` checks that against scipy).

What makes the results identical, not merely close:

* Horner's rule as separate multiplications and additions, as the compiled C++ does (no fused
  multiply-add); numpy's and Python's ``+ - * /`` and ``sqrt`` are correctly rounded.
* ``log`` and ``exp`` from the C library, as the C++ calls them: Python's ``math.log`` and
  ``math.exp``. numpy's own ``np.log`` and ``np.exp`` (SIMD code) differ from the C library's in
  the last bit for about one input in 700 on an AVX-512 machine, so the tails of ``ndtri`` (about
  a quarter of the inputs of a typical truncation) take their logarithms one by one from
  ``math.log``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["ndtr", "ndtri"]

# --- Cephes coefficient tables (ndtr.h: P, Q, R, S, T, U; ndtri.h: P0, Q0, P1, Q1, P2, Q2) ---
# Highest degree first. The p1evl tables omit their leading coefficient 1.

#: erfc(x) = exp(-x²) P(x) / Q(x) for 1 <= x < 8
_ERFC_P = (
    2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
    4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
    9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2,
)  # fmt: skip
_ERFC_Q = (
    1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
    9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
    1.65666309194161350182e3, 5.57535340817727675546e2,
)  # fmt: skip
#: erfc(x) = exp(-x²) R(x) / S(x) for x >= 8
_ERFC_R = (
    5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
    6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0,
)  # fmt: skip
_ERFC_S = (
    2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
    1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0,
)  # fmt: skip
#: erf(x) = x T(x²) / U(x²) for |x| <= 1
_ERF_T = (
    9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
    7.00332514112805075473e3, 5.55923013010394962768e4,
)  # fmt: skip
_ERF_U = (
    3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
    2.26290000613890934246e4, 4.92673942608635921086e4,
)  # fmt: skip
#: ndtri(y) = w + w w² P0(w²) / Q0(w²), times sqrt(2 pi), with w = y - 1/2, for |w| <= 1/2 - exp(-2)
_NDTRI_P0 = (
    -5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
    1.39312609387279679503e1, -1.23916583867381258016e0,
)  # fmt: skip
_NDTRI_Q0 = (
    1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
    -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
    1.59056225126211695515e1, -1.18331621121330003142e0,
)  # fmt: skip
#: the tails, with x = sqrt(-2 log y) and z = 1/x: ndtri = -(x - log(x)/x - z P(z)/Q(z)),
#: P1/Q1 for 2 < x < 8 (exp(-32) < y < exp(-2)), P2/Q2 for x >= 8
_NDTRI_P1 = (
    4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
    4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
    -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4,
)  # fmt: skip
_NDTRI_Q1 = (
    1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
    1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
    -3.80806407691578277194e-2, -9.33259480895457427372e-4,
)  # fmt: skip
_NDTRI_P2 = (
    3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
    1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
    3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9,
)  # fmt: skip
_NDTRI_Q2 = (
    6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
    2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
    2.89247864745380683936e-6, 6.79019408009981274425e-9,
)  # fmt: skip

_SQRT1_2 = 0.70710678118654752440  # M_SQRT1_2
_SQRT2PI = 2.506628274631000502415765284811045253007
_MAXLOG = 7.097827128933839730962063185871e2  # log(DBL_MAX)
_EXP_M2 = 0.13533528323661269189  # exp(-2): where ndtri's central approximation ends
_ONE_MINUS_EXP_M2 = 1.0 - _EXP_M2

#: a float or an array of them: the polynomials serve ndtr (scalars) and ndtri (arrays)
_Real = TypeVar("_Real", float, npt.NDArray[np.float64])


def _polevl(x: _Real, coef: Sequence[float]) -> _Real:
    """``coef[0] x^N + ... + coef[N]`` by Horner's rule (Cephes ``polevl``)."""
    ans = coef[0] * x + coef[1]
    for c in coef[2:]:
        ans = ans * x + c
    return ans


def _p1evl(x: _Real, coef: Sequence[float]) -> _Real:
    """``x^N + coef[0] x^(N-1) + ... + coef[N-1]`` by Horner's rule (Cephes ``p1evl``)."""
    ans = x + coef[0]
    for c in coef[1:]:
        ans = ans * x + c
    return ans


def ndtr(a: float) -> float:
    """The standard normal CDF at ``a``: ``scipy.special.ndtr(a)``, the same double."""
    a = float(a)
    if math.isnan(a):
        return math.nan
    x = a * _SQRT1_2
    z = abs(x)
    if z < 1.0:  # 1/2 + erf(x)/2, Cephes erf for |x| < 1 (odd: erf(-x) = -erf(x))
        s = -x if x < 0.0 else x
        erf = s * _polevl(s * s, _ERF_T) / _p1evl(s * s, _ERF_U)
        return 0.5 + 0.5 * (-erf if x < 0.0 else erf)
    # erfc(z)/2 for z >= 1, Cephes erfc (0 once exp(-z²) underflows)
    w = -z * z
    y = 0.0
    if w >= -_MAXLOG:
        if z < 8.0:
            y = (math.exp(w) * _polevl(z, _ERFC_P)) / _p1evl(z, _ERFC_Q)
        else:
            y = (math.exp(w) * _polevl(z, _ERFC_R)) / _p1evl(z, _ERFC_S)
    y = 0.5 * y
    return 1.0 - y if x > 0 else y


def _libm_log(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``log`` of each element by the C library (``math.log``), as compiled code calls it."""
    return np.fromiter(map(math.log, a.tolist()), np.float64, a.size)


def _tail(y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``-ndtri(y)`` for ``0 < y <= exp(-2)``."""
    x = np.sqrt(-2.0 * _libm_log(y))
    x0 = x - _libm_log(x) / x
    z = 1.0 / x
    far = x >= 8.0  # y < exp(-32)
    x1 = np.empty_like(z)
    near = ~far
    zn = z[near]
    x1[near] = zn * _polevl(zn, _NDTRI_P1) / _p1evl(zn, _NDTRI_Q1)
    if far.any():
        zf = z[far]
        x1[far] = zf * _polevl(zf, _NDTRI_P2) / _p1evl(zf, _NDTRI_Q2)
    return x0 - x1


def ndtri(p: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The standard normal quantile of each element of ``p``: ``scipy.special.ndtri(p)``, the same doubles.

    ``-inf`` at 0, ``inf`` at 1, NaN outside [0, 1] and at NaN; an array of the shape of ``p``.
    """
    y0 = np.asarray(p, dtype=np.float64)
    flat = y0.ravel()
    out = np.full(flat.shape, np.nan)
    upper = flat > _ONE_MINUS_EXP_M2
    y = np.where(upper, 1.0 - flat, flat)  # the upper tail by symmetry, as Cephes does
    central = y > _EXP_M2
    w = y[central] - 0.5
    w2 = w * w
    out[central] = (w + w * (w2 * _polevl(w2, _NDTRI_P0) / _p1evl(w2, _NDTRI_Q0))) * _SQRT2PI
    tail = ~central & (flat > 0.0) & (flat < 1.0)
    if tail.any():
        t = _tail(y[tail])
        out[tail] = np.where(upper[tail], t, -t)
    out[flat == 0.0] = -np.inf
    out[flat == 1.0] = np.inf
    return out.reshape(y0.shape)
