"""The symptom diary's chart, drawn on the server as inline SVG (no script, no chart library): points in, markup out.

Two series, never told apart by colour alone: the headache upright is a solid line with round points, lying down a
dashed line with square points. Every entry is exactly one round point and one square point; several entries on
one day sit side by side within that day. A day with a treatment or procedure gets a dotted vertical marker.
Colours come from classes (static/css/diary.css, from the site's theme variables) over `currentColor`, so the
chart follows the light and dark themes and prints in black."""

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 296
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 34
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
RADIUS = 4.5
SIDE = 8
DATE_LABELS = 5


@dataclass(frozen=True)
class Point:
    day: date
    upright: int
    lying: int
    treatment: bool = False


def _n(value: float) -> str:
    """A coordinate, short: 12.0 → "12", 12.345 → "12.3"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def y_of(score: int) -> float:
    return TOP + PLOT_HEIGHT * (1 - max(0, min(10, score)) / 10)


def positions(points: list[Point], start: date, end: date) -> list[float]:
    """Each point's x: the middle of its day, or, for several on one day, evenly across the day (in order)."""
    days = max(1, (end - start).days + 1)
    slot = PLOT_WIDTH / days
    on_day: dict[date, int] = {}
    for point in points:
        on_day[point.day] = on_day.get(point.day, 0) + 1
    seen: dict[date, int] = {}
    xs = []
    for point in points:
        index = seen.get(point.day, 0)
        seen[point.day] = index + 1
        left = LEFT + slot * (point.day - start).days
        xs.append(left + slot * (index + 1) / (on_day[point.day] + 1))
    return xs


def _day_middle(day: date, start: date, end: date) -> float:
    slot = PLOT_WIDTH / max(1, (end - start).days + 1)
    return LEFT + slot * ((day - start).days + 0.5)


def _short(day: date) -> str:
    return day.strftime("%-d %b")


def chart_svg(points: list[Point], start: date, end: date, title: str, description: str,
              id_prefix: str = "diary-chart") -> Markup:
    """The chart of `points` (oldest first, each within start..end) as an <svg> element."""
    points = [point for point in points if start <= point.day <= end]
    xs = positions(points, start, end)
    parts = [f'<svg class="diary-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" preserveAspectRatio="xMidYMid meet">',
             f'<title id="{id_prefix}-title">{escape(title)}</title>',
             f'<desc id="{id_prefix}-desc">{escape(description)}</desc>']
    # The y-axis: 0 to 10, with a gridline every 2.
    parts.append('<g class="grid" stroke="currentColor" stroke-width="1">')
    for score in range(0, 11, 2):
        y = _n(y_of(score))
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
    parts.append("</g>")
    parts.append('<g class="axis-labels" fill="currentColor" font-size="15">')
    for score in range(0, 11, 2):
        parts.append(f'<text x="{LEFT - 6}" y="{_n(y_of(score) + 5)}" text-anchor="end">{score}</text>')
    # The x-axis: a few dates spread across the period, always the first and the last.
    days = (end - start).days
    step = max(1, -(-days // (DATE_LABELS - 1))) if days else 1
    labelled = sorted({*(start + timedelta(days=offset) for offset in range(0, days + 1, step)), end})
    if len(labelled) > 1 and (labelled[-1] - labelled[-2]).days < step / 2:
        labelled.pop(-2)
    for index, day in enumerate(labelled):
        anchor = "start" if index == 0 and len(labelled) > 1 else "end" if index == len(labelled) - 1 else "middle"
        x = LEFT if anchor == "start" else WIDTH - RIGHT if anchor == "end" else _day_middle(day, start, end)
        parts.append(f'<text x="{_n(x)}" y="{HEIGHT - 10}" text-anchor="{anchor}">{_short(day)}</text>')
    parts.append("</g>")
    # A dotted marker on each day with a treatment or procedure.
    treated = sorted({point.day for point in points if point.treatment})
    if treated:
        parts.append('<g class="treatment-marker" stroke="currentColor" stroke-width="2" stroke-dasharray="2 4">')
        for day in treated:
            x = _n(_day_middle(day, start, end))
            parts.append(f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{TOP + PLOT_HEIGHT}"/>')
        parts.append("</g>")
    if points:
        upright = " ".join(f"{_n(x)},{_n(y_of(point.upright))}" for x, point in zip(xs, points, strict=True))
        lying = " ".join(f"{_n(x)},{_n(y_of(point.lying))}" for x, point in zip(xs, points, strict=True))
        parts.append(f'<polyline class="line-upright" points="{upright}" fill="none" stroke="currentColor" '
                     'stroke-width="2.5"/>')
        parts.append(f'<polyline class="line-lying" points="{lying}" fill="none" stroke="currentColor" '
                     'stroke-width="2.5" stroke-dasharray="7 5"/>')
        parts.append('<g class="points-upright" fill="currentColor">')
        parts.extend(f'<circle class="point-upright" cx="{_n(x)}" cy="{_n(y_of(point.upright))}" r="{RADIUS}"/>'
                     for x, point in zip(xs, points, strict=True))
        parts.append('</g><g class="points-lying" fill="currentColor">')
        # Squares as short paths (a <rect> takes twice the bytes, and a 12-week chart has many).
        parts.extend(f'<path class="point-lying" d="M{_n(x - SIDE / 2)} {_n(y_of(point.lying) - SIDE / 2)}'
                     f'h{SIDE}v{SIDE}h-{SIDE}z"/>' for x, point in zip(xs, points, strict=True))
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - our own markup; title and description escaped above  # nosec B704
