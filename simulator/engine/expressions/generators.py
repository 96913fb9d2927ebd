"""Generated values: Guid and RandomString, drawn from the evaluation's random stream.

The real service draws from a random number generator; provsim draws from the
runtime's seeded id factory (:class:`~.environment.Environment`), so the same seed
and the same story give the same values, and every call still gives a new one.
"""

from __future__ import annotations

import string
from typing import Any, Final

from .environment import Environment
from .nodes import Call, Literal
from .registry import register
from .values import EvalProblem, arg, error_at, null, to_int, to_str

__all__ = ["SPECIAL_CHARACTERS", "RANDOM_STRING_MAX_LENGTH"]

#: "Characters allowed" for RandomString (the page links Windows' password complexity
#: reference): its special characters ~!@#$%^&*_-+=`|\(){}[]:;"'<>,.?/
SPECIAL_CHARACTERS: Final = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"
#: "256 characters max."
RANDOM_STRING_MAX_LENGTH: Final = 256

_COUNT_PARAMS: Final = ("Length", "MinimumNumbers", "MinimumSpecialCharacters", "MinimumCapital", "MinimumLowerCase")


@register("Guid", [], 0)
def _guid(args: list[Any], env: Environment) -> Any:
    # "generates a new random GUID", lower case as the page's sample shows.
    return env.random.guid()


def _counts_problem(counts: list[int]) -> str | None:
    length, *minimums = counts
    if length < 1 or length > RANDOM_STRING_MAX_LENGTH:
        return f"Length must be between 1 and {RANDOM_STRING_MAX_LENGTH}, got {length}"
    for name, value in zip(_COUNT_PARAMS[1:], minimums, strict=True):
        if value < 0:
            return f"{name} must not be negative, got {value}"
    if sum(minimums) > length:
        return (f"Length ({length}) must be at least the sum of the minimums "
                f"({' + '.join(str(v) for v in minimums)} = {sum(minimums)})")
    return None


def _check_random_string(call: Call, text: str) -> None:
    literals = call.args[:5]
    if all(isinstance(node, Literal) and isinstance(node.value, int) and not isinstance(node.value, bool)
           for node in literals):
        problem = _counts_problem([int(node.value) for node in literals if isinstance(node, Literal)])
        if problem is not None:
            raise error_at(f"RandomString: {problem}", call.pos, text)


@register("RandomString", [*_COUNT_PARAMS, "CharactersToAvoid"], 5, check=_check_random_string)
def _random_string(args: list[Any], env: Environment) -> Any:
    counts = [to_int(value, name) for name, value in zip(_COUNT_PARAMS, args, strict=False)]
    problem = _counts_problem(counts)
    if problem is not None:
        raise EvalProblem(problem)
    length, numbers, specials, capitals, lowers = counts
    avoid = set("" if null(arg(args, 5)) else to_str(args[5]))
    pools = [
        "".join(ch for ch in string.digits if ch not in avoid),
        "".join(ch for ch in SPECIAL_CHARACTERS if ch not in avoid),
        "".join(ch for ch in string.ascii_uppercase if ch not in avoid),
        "".join(ch for ch in string.ascii_lowercase if ch not in avoid),
    ]
    chars: list[str] = []
    for pool, minimum, name in zip(pools, (numbers, specials, capitals, lowers), _COUNT_PARAMS[1:], strict=True):
        if minimum and not pool:
            raise EvalProblem(f"{name} is {minimum} but CharactersToAvoid leaves no such character")
        chars += [env.random.choice(pool) for _ in range(minimum)]
    # The rest from every class: the minimums are minimums (the page's second example).
    everything = "".join(pools)
    if len(chars) < length and not everything:
        raise EvalProblem("CharactersToAvoid leaves no character to choose from")
    chars += [env.random.choice(everything) for _ in range(length - len(chars))]
    for i in range(len(chars) - 1, 0, -1):  # Fisher-Yates, so the required classes are not in a block
        j = env.random.choice(range(i + 1))
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)
