"""Draw a figure's table as a Vega-Lite spec, following the figure's ChartSpec.

One spec serves both the interactive page and the static PNG/SVG, so what a reader hovers over
in the browser and what lands in a slide deck never disagree. Interactivity lives in Vega-Lite
params (a legend that toggles series, a radio switch between weightings), which need no
hand-written JavaScript and render as the default view when exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pyarrow as pa
import pyarrow.compute as pc

from tokencensus.report.jsonsafe import records
from tokencensus.report.labels import WEIGHTINGS, legend_label_expr, quote, title, vega_lookup, weighting_of
from tokencensus.study.figure import ChartSpec, Figure

#: The Vega-Lite version Altair writes; the page's script bundle and vl-convert use the same.
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])

WIDTH, HEIGHT = 600, 300
TABLE_IMAGE_ROWS = 40
#: A time axis over fewer days than this gets weekly ticks with day-and-month labels.
SHORT_WINDOW_DAYS = 180
#: Columns holding the 95% interval of a figure's ``y``, drawn as a band or error bars.
INTERVAL = ("ci_low", "ci_high")
_WEIGHT_PARAM = "weighting"
_VALUE = "weighted_value"
_SERIES = "statistic"
_MAIN = "main"
_ROW = "table_row"
#: d3 formats of numbers that are not the plotted measure: whole counts exact, others to 4 digits.
_COUNT_FORMAT, _OTHER_NUMBER_FORMAT = ",d", ",.4~r"
#: The catch-all group of "top N + other" figures, drawn in grey.
OTHER = "other"
GREY = "#a5a5a5"
#: Vega's own categorical palettes, spelled out so "other" can be taken out of them.
TABLEAU10 = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")
TABLEAU20 = (
    "#4c78a8", "#9ecae9", "#f58518", "#ffbf79", "#54a24b", "#88d27a", "#b79a20", "#f2cf5b", "#439894", "#83bcb6",
    "#e45756", "#ff9d98", "#79706e", "#d67195", "#fcbfd2", "#b279a2", "#d6a5c9", "#9e765f", "#d8b5a5",
)
#: Charts name their data and get the rows afterwards: Altair would validate every row.
_DATA = alt.Data(name="table")
_MARKERS = alt.Data(name="markers")
#: Significant digits of floats drawn on the page; the CSV keeps them all.
CHART_DIGITS = 6


def _field(name: str) -> str:
    """A column name as a Vega-Lite field: dots and brackets would otherwise mean nesting."""
    return name.replace("\\", "\\\\").replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def vega_type(kind: pa.DataType) -> str:
    """The Vega-Lite measurement type of an Arrow column type."""
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return "temporal"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "quantitative"
    return "nominal"


def _check_columns(figure: Figure, table: pa.Table) -> None:
    spec = figure.chart
    named = [spec.x, spec.y, spec.color, *spec.weights.values(), *spec.series]
    missing = sorted({name for name in named if name is not None} - set(table.column_names))
    if missing:
        raise ValueError(f"figure {figure.id}: chart columns {missing} not in its table {table.column_names}")
    if spec.mark != "table" and (spec.x is None or spec.y is None):
        raise ValueError(f"figure {figure.id}: a {spec.mark} chart needs both x and y")
    if spec.series and (spec.color is not None or spec.weights):
        raise ValueError(f"figure {figure.id}: series are coloured by statistic: no color or weights with them")


def _tooltips(table: pa.Table, spec: ChartSpec) -> list[alt.Tooltip]:
    """Every column of the table, formatted like its axis: a reader can check any plotted value."""
    weighted = {spec.y, *spec.weights.values(), *spec.series, *INTERVAL}
    weighted |= {name for name in table.column_names if name.startswith("share_")}
    tips = []
    for name, kind in zip(table.column_names, table.schema.types, strict=True):
        options = _tip_format(kind)
        if name in weighted and vega_type(kind) == "quantitative":
            options = {"format": spec.y_format}
        tips.append(alt.Tooltip(_field(name), type=vega_type(kind), title=title(name), **options))
    return tips


def _category_type(kind: pa.DataType) -> str:
    """Colour and bar-category channels: text stays nominal, numbers and ISO dates keep their order."""
    return "nominal" if vega_type(kind) == "nominal" else "ordinal"


def chart_spec(figure: Figure, table: pa.Table, markers: pa.Table | None = None) -> dict[str, Any]:
    """The interactive Vega-Lite spec (a plain dict, data inline) for a non-table figure.

    ``markers`` is the table of the figure named by ``ChartSpec.markers``, drawn as dated rules.
    """
    _check_columns(figure, table)
    spec = figure.chart
    assert spec.x is not None and spec.y is not None  # checked above; narrows the types
    weights = weight_columns(spec, table)
    chart = alt.Chart(_DATA, name=_MAIN)
    if spec.series:
        chart = chart.transform_fold(list(spec.series), as_=[_SERIES, _VALUE])
    elif len(weights) > 1:
        chart = chart.add_params(_weight_switch(spec, weights)).transform_calculate(
            **{_VALUE: f"datum[{_WEIGHT_PARAM}]"}
        )
    for name, log in ((spec.x, spec.log_x), (_plotted(spec, weights), spec.log_y)):
        if log:  # a log scale cannot place zero or negative values
            chart = chart.transform_filter(f"isValid(datum[{quote(name)}]) && datum[{quote(name)}] > 0")

    x_kind = table.schema.field(spec.x).type
    horizontal = spec.mark == "bar" and vega_type(x_kind) == "nominal"
    category, value = _category_channel(spec, table[spec.x]), _value_channel(spec, table, weights)
    if horizontal:
        category["sort"] = "-x"  # longest bar first
        encoding: dict[str, Any] = {"x": alt.X(**value), "y": alt.Y(**category)}
    else:
        encoding = {"x": alt.X(**category), "y": alt.Y(**value)}
    encoding["tooltip"] = _tooltips(table, spec)

    color = _SERIES if spec.series else spec.color
    if color is not None:
        legend_pick = alt.selection_point(name="legend_pick", fields=[_field(color)], bind="legend")
        chart = chart.add_params(legend_pick)
        values = list(spec.series) if spec.series else _distinct_text(table, color)
        color_type = "nominal" if spec.series else _category_type(table.schema.field(color).type)
        encoding["color"] = alt.Color(
            _field(color),
            type=color_type,
            title=title(color),
            legend=_legend(values),
            sort=values if spec.series else alt.Undefined,
            scale=_color_scale(values) if color_type == "nominal" else alt.Undefined,
        )
        encoding["opacity"] = alt.condition(legend_pick, alt.value(1.0), alt.value(0.12))
        if spec.mark == "bar" and value["stack"] is None:  # side by side, not hidden behind each other
            offset = alt.YOffset if horizontal else alt.XOffset
            encoding["yOffset" if horizontal else "xOffset"] = offset(_field(color), type=color_type)

    layers = [_with_mark(chart, spec.mark).encode(**encoding)]
    layers += _interval_layer(spec, table, weights, category)
    datasets = {_DATA.name: table}
    if markers is not None and spec.markers is not None:
        layers.append(_marker_layer(spec, markers, category))
        datasets[_MARKERS.name] = markers
    top = (alt.layer(*layers) if len(layers) > 1 else layers[0]).properties(width="container", height=HEIGHT)
    top = top.configure_axis(labelFontSize=12, titleFontSize=12).configure_legend(labelFontSize=12, titleFontSize=12)
    drawn = top.to_dict()
    if len(weights) > 1 and not spec.y_label:  # Altair's schema has no expression titles; Vega-Lite does
        main = drawn["layer"][0] if "layer" in drawn else drawn
        main["encoding"]["x" if horizontal else "y"]["axis"]["title"] = _switch_title(spec, weights)
    return _with_data(drawn, datasets)


def weight_columns(spec: ChartSpec, table: pa.Table) -> dict[str, str]:
    """The weightings the chart can switch between, name -> column, ``y``'s own first.

    The figure's ``weights`` are taken as given; any other weighting the table carries under the
    study's naming (``share_users`` beside ``share_tokens``, ``users`` beside ``tokens``) is added,
    so a weighting the study adds later shows up without touching the figure.
    """
    assert spec.y is not None
    own = weighting_of(spec.y) or spec.y
    found = {own: spec.y, **spec.weights}
    prefix = "share_" if spec.y.startswith("share_") else ""
    if weighting_of(spec.y) is not None:
        for name in WEIGHTINGS:
            if name not in found and prefix + name in table.column_names:
                found[name] = prefix + name
    return {name: found[name] for name in sorted(found, key=lambda n: (n != own, _weight_order(n)))}


def _weight_order(name: str) -> int:
    return WEIGHTINGS.index(name) if name in WEIGHTINGS else len(WEIGHTINGS)


def _plotted(spec: ChartSpec, weights: Mapping[str, str]) -> str:
    """The field the y channel reads: the switch's pick, the folded series, or ``y`` itself."""
    assert spec.y is not None
    return _VALUE if spec.series or len(weights) > 1 else spec.y


def _weight_switch(spec: ChartSpec, weights: Mapping[str, str]) -> alt.Parameter:
    """A radio button choosing which column (tokens, requests, spend, users) the chart plots."""
    return alt.param(
        name=_WEIGHT_PARAM,
        value=spec.y,
        bind=alt.binding_radio(options=list(weights.values()), labels=list(weights), name="Weight by "),
    )


def _value_channel(spec: ChartSpec, table: pa.Table, weights: Mapping[str, str]) -> dict[str, Any]:
    """The measured axis: the y column, the folded series, or the weighting the switch picked.

    Its title follows the switch (a Vega expression), and stacked shares span exactly 0-100%.
    """
    assert spec.y is not None
    stacked = spec.stack and spec.mark in ("area", "bar")
    domain = spec.y_domain
    if domain is None and stacked and all(c.startswith("share_") for c in weights.values()):
        domain = (0.0, 1.0)
    scale: dict[str, Any] = {}
    if spec.log_y:
        scale["type"] = "log"
    if domain is not None:
        scale.update(domain=list(domain), nice=False, clamp=True)
    return dict(
        field=_field(_plotted(spec, weights)),
        type="quantitative",
        title=title(spec.y, spec.y_label),
        stack="zero" if stacked else None,
        axis=alt.Axis(format=spec.y_format),
        scale=alt.Scale(**scale) if scale else alt.Undefined,
    )


def _switch_title(spec: ChartSpec, weights: Mapping[str, str]) -> dict[str, str]:
    """The value axis title as a Vega expression that follows the weighting switch."""
    assert spec.y is not None
    return {"expr": vega_lookup(_WEIGHT_PARAM, {c: title(c) for c in weights.values()}, quote(title(spec.y)))}


def _legend(values: list[str]) -> alt.Legend:
    """A legend below the plot (it keeps the plot wide on a phone), codes worded for people."""
    label_expr = legend_label_expr(values)
    return alt.Legend(
        orient="bottom",
        direction="vertical",
        columns=alt.ExprRef(expr="width < 420 ? 1 : 2"),  # one column on a phone
        labelLimit=260,
        symbolType="square",
        **({"labelExpr": label_expr} if label_expr else {}),
    )


def _color_scale(values: list[str]) -> alt.Scale | Any:
    """Distinct colours for up to 19 groups, with the catch-all ``other`` in grey and last."""
    named = [v for v in values if v != OTHER]
    if len(named) == len(values) and len(values) <= len(TABLEAU10):
        return alt.Undefined  # Vega's default palette already tells them apart
    palette = TABLEAU10[:-1] if len(named) < len(TABLEAU10) else TABLEAU20
    domain = sorted(named) + ([OTHER] if len(named) < len(values) else [])
    colours = [palette[i % len(palette)] for i in range(len(named))]
    return alt.Scale(domain=domain, range=colours + [GREY] * (len(domain) - len(named)))


def _distinct_text(table: pa.Table, column: str) -> list[str]:
    return [str(v) for v in pc.unique(table[column].cast(pa.string())).to_pylist() if v is not None]


def _interval_layer(
    spec: ChartSpec, table: pa.Table, weights: Mapping[str, str], category: Mapping[str, Any]
) -> list[alt.Chart]:
    """The 95% interval (``ci_low``/``ci_high``) around ``y``, shown while ``y`` is the one plotted.

    A stacked chart gets none: an interval of one stacked layer has no place on the stacked axis.
    """
    if not set(INTERVAL) <= set(table.column_names) or spec.stack or spec.series:
        return []
    assert spec.y is not None
    band = alt.Chart(_DATA)
    if len(weights) > 1:
        band = band.transform_filter(f"{_WEIGHT_PARAM} === {quote(spec.y)}")
    mark = band.mark_errorband(opacity=0.25) if spec.mark in ("line", "area") else band.mark_errorbar(ticks=True)
    encoding: dict[str, Any] = {
        "x": alt.X(**category),
        "y": alt.Y(_field(INTERVAL[0]), type="quantitative"),
        "y2": alt.Y2(_field(INTERVAL[1])),
    }
    if spec.color is not None:
        encoding["color"] = alt.Color(_field(spec.color), type=_category_type(table.schema.field(spec.color).type))
    return [mark.encode(**encoding)]


def _marker_layer(spec: ChartSpec, markers: pa.Table, category: Mapping[str, Any]) -> alt.LayerChart:
    """Dashed rules at the markers' x, each topped by a triangle whose tooltip names it."""
    assert spec.x is not None
    if spec.x not in markers.column_names:
        raise ValueError(f"markers {spec.markers}: its table has no {spec.x!r} column to place them")
    base = alt.Chart(_MARKERS).encode(
        x=alt.X(**category),
        tooltip=[alt.Tooltip(_field(name), type=vega_type(kind), title=title(name), **_tip_format(kind))
                 for name, kind in zip(markers.column_names, markers.schema.types, strict=True)],
    )
    rules = base.mark_rule(strokeDash=[3, 3], color="#57606a", opacity=0.7)
    tops = base.mark_point(shape="triangle-down", filled=True, size=70, color="#57606a").encode(y=alt.value(0))
    return alt.layer(rules, tops)


def _tip_format(kind: pa.DataType) -> dict[str, str]:
    vtype = vega_type(kind)
    if vtype == "temporal":
        return {"format": "%Y-%m-%d", "formatType": "utc"}
    if vtype != "quantitative":
        return {}
    return {"format": _COUNT_FORMAT if pa.types.is_integer(kind) else _OTHER_NUMBER_FORMAT}


def _category_channel(spec: ChartSpec, column: pa.ChunkedArray) -> dict[str, Any]:
    """The x column's axis: UTC time, log or integer steps, or discrete positions for bars."""
    assert spec.x is not None
    kind = column.type
    vtype = vega_type(kind)
    if spec.mark == "bar" and vtype == "quantitative":
        vtype = "ordinal"  # bars sit on discrete positions
    channel: dict[str, Any] = dict(field=_field(spec.x), type=vtype, title=title(spec.x, spec.x_label))
    if vtype == "temporal":
        channel["scale"] = alt.Scale(type="utc")  # weeks and months are UTC
        channel["axis"] = _time_axis(column)
    elif vtype == "quantitative" and spec.log_x:
        channel["scale"] = alt.Scale(type="log")
        channel["axis"] = alt.Axis(format="~s")
    elif vtype == "quantitative" and pa.types.is_integer(kind):
        channel["axis"] = alt.Axis(tickMinStep=1)  # months since first use: no 0.5 ticks
    elif spec.mark == "bar" and vtype == "ordinal" and not pa.types.is_string(kind):
        channel["axis"] = alt.Axis(labelOverlap=True)
    return channel


def _time_axis(column: pa.ChunkedArray) -> alt.Axis:
    """Vega's month / year labels over a long window; over a short one, weekly ticks as "Sep 22"
    (its default there would label days as "Tue 23")."""
    span = pc.min_max(column.cast(pa.timestamp("s"))).as_py() if len(column) else {"min": None, "max": None}
    if span["min"] is None or (span["max"] - span["min"]).days >= SHORT_WINDOW_DAYS:
        return alt.Axis(labelFlush=True, labelOverlap=True)
    return alt.Axis(labelFlush=True, labelOverlap=True, format="%b %d", tickCount="week")


def _with_data(spec: dict[str, Any], tables: Mapping[str, pa.Table]) -> dict[str, Any]:
    """``spec`` with each table's rows attached under the name its marks refer to."""
    return {**spec, "datasets": {name: records(t, significant=CHART_DIGITS) for name, t in tables.items()}}


def static_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A page spec for a still image: a fixed width (there is no page to fit), and no invisible
    hover points, which only cost render time."""
    still = {**spec, "width": WIDTH} if spec.get("width") == "container" else dict(spec)
    mark = still.get("mark")
    if isinstance(mark, dict) and "point" in mark:
        still["mark"] = {key: item for key, item in mark.items() if key != "point"}
    if "layer" in still:
        still["layer"] = [static_spec(layer) for layer in still["layer"]]
    return still


def _with_mark(chart: alt.Chart, mark: str) -> alt.Chart:
    """The mark, with an invisible point on every datum of lines and areas so tooltips find it."""
    hover_points = alt.OverlayMarkDef(filled=True, size=50, fillOpacity=0, strokeOpacity=0)
    match mark:
        case "area":
            return chart.mark_area(point=hover_points)
        case "line":
            return chart.mark_line(point=hover_points)
        case "bar":
            return chart.mark_bar()
        case "point":
            return chart.mark_point(filled=True, size=40)
    raise ValueError(f"no chart for mark {mark!r}")


def table_image_spec(figure: Figure, table: pa.Table) -> dict[str, Any]:
    """A static picture of a table figure, for its PNG/SVG (the page shows a real HTML table).

    Vega-Lite has no table mark, so each column is a text mark placed side by side. The spec is
    written as a plain dict: Altair's per-channel validation cost more than the drawing itself.
    """
    _check_columns(figure, table)
    head = table.slice(0, TABLE_IMAGE_ROWS)
    weighted = {figure.chart.y, *figure.chart.weights.values()}
    weighted |= {name for name in head.column_names if name.startswith("share_")}
    columns = []
    for name, kind in zip(head.column_names, head.schema.types, strict=True):
        text: dict[str, Any] = {"field": _field(name), "type": "nominal"}
        longest = 10
        if vega_type(kind) == "quantitative":
            number_format = figure.chart.y_format if name in weighted else _tip_format(kind)["format"]
            text = {"field": _field(name), "type": "quantitative", "format": number_format}
        else:
            longest = pc.max(pc.utf8_length(head[name].cast(pa.string()))).as_py() or 0
        header = title(name)
        width = min(max(len(header), longest) * 7 + 12, 320)
        columns.append(
            {
                "title": {"text": header, "anchor": "start", "fontSize": 12},
                "width": width,
                "mark": {"type": "text", "align": "left", "limit": width},
                "encoding": {"x": {"value": 0}, "y": {"field": _ROW, "type": "ordinal", "axis": None}, "text": text},
            }
        )
    rows = head.append_column(_ROW, pa.array(range(head.num_rows), pa.int64()))
    spec = {"data": {"name": _DATA.name}, "hconcat": columns, "spacing": 8, "config": {"view": {"stroke": None}}}
    return _with_data(spec, {_DATA.name: rows})
