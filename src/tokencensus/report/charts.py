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
from tokencensus.study.figure import ChartSpec, Figure

#: The Vega-Lite version Altair writes; the page's script bundle and vl-convert use the same.
VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])

WIDTH, HEIGHT = 600, 300
TABLE_IMAGE_ROWS = 40
WEIGHTINGS = ("tokens", "requests", "spend", "users")
_WEIGHT_PARAM = "weighting"
_VALUE = "weighted_value"
_ROW = "table_row"
_OTHER_NUMBER_FORMAT = ",.4~g"
#: Charts name their data and get the rows afterwards: Altair would validate every row.
_DATA = alt.Data(name="table")
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
    named = [spec.x, spec.y, spec.color, *spec.weights.values()]
    missing = sorted({name for name in named if name is not None} - set(table.column_names))
    if missing:
        raise ValueError(f"figure {figure.id}: chart columns {missing} not in its table {table.column_names}")
    if spec.mark != "table" and (spec.x is None or spec.y is None):
        raise ValueError(f"figure {figure.id}: a {spec.mark} chart needs both x and y")


def _tooltips(table: pa.Table, spec: ChartSpec) -> list[alt.Tooltip]:
    """Every column of the table, formatted like its axis: a reader can check any plotted value."""
    weighted = {spec.y, *spec.weights.values()}
    tips = []
    for name, kind in zip(table.column_names, table.schema.types, strict=True):
        vtype = vega_type(kind)
        options: dict[str, Any] = {}
        if vtype == "temporal":
            options = {"format": "%Y-%m-%d", "formatType": "utc"}
        elif vtype == "quantitative":
            options = {"format": spec.y_format if name in weighted else _OTHER_NUMBER_FORMAT}
        tips.append(alt.Tooltip(_field(name), type=vtype, title=name, **options))
    return tips


def _category_type(kind: pa.DataType) -> str:
    """Colour and bar-category channels: text stays nominal, numbers and ISO dates keep their order."""
    return "nominal" if vega_type(kind) == "nominal" else "ordinal"


def chart_spec(figure: Figure, table: pa.Table) -> dict[str, Any]:
    """The interactive Vega-Lite spec (a plain dict, data inline) for a non-table figure."""
    _check_columns(figure, table)
    spec = figure.chart
    assert spec.x is not None and spec.y is not None  # checked above; narrows the types
    chart = alt.Chart(_DATA, width=WIDTH, height=HEIGHT)
    for name, log in ((spec.x, spec.log_x), (spec.y, spec.log_y)):
        if log:  # a log scale cannot place zero or negative values
            chart = chart.transform_filter(f"isValid(datum[{_quote(name)}]) && datum[{_quote(name)}] > 0")
    if spec.weights:
        chart = chart.add_params(_weight_switch(spec)).transform_calculate(
            **{_VALUE: f"datum[{_WEIGHT_PARAM}]"}
        )

    x_kind = table.schema.field(spec.x).type
    horizontal = spec.mark == "bar" and vega_type(x_kind) == "nominal"
    category, value = _category_channel(spec, x_kind), _value_channel(spec)
    if horizontal:
        category["sort"] = "-x"  # longest bar first
        encoding: dict[str, Any] = {"x": alt.X(**value), "y": alt.Y(**category)}
    else:
        encoding = {"x": alt.X(**category), "y": alt.Y(**value)}
    encoding["tooltip"] = _tooltips(table, spec)

    if spec.color is not None:
        legend_pick = alt.selection_point(name="legend_pick", fields=[_field(spec.color)], bind="legend")
        chart = chart.add_params(legend_pick)
        color_type = _category_type(table.schema.field(spec.color).type)
        encoding["color"] = alt.Color(_field(spec.color), type=color_type, title=spec.color)
        encoding["opacity"] = alt.condition(legend_pick, alt.value(1.0), alt.value(0.12))
        if spec.mark == "bar" and value["stack"] is None:  # side by side, not hidden behind each other
            offset = alt.YOffset if horizontal else alt.XOffset
            encoding["yOffset" if horizontal else "xOffset"] = offset(_field(spec.color), type=color_type)

    return _with_data(_with_mark(chart, spec.mark).encode(**encoding).to_dict(), table)


def _y_label(spec: ChartSpec) -> str:
    """The switch's name for the y column: the weighting it carries, or the column itself.

    ``y`` is usually the token weighting, but not always (spend by continent; a mean beside its
    percentiles), so the name comes from the column: ``share_spend`` is "spend", ``token_share``
    is "tokens", ``mean`` is "mean".
    """
    assert spec.y is not None
    words = set(spec.y.split("_"))
    named = [w for w in WEIGHTINGS if w not in spec.weights and {w, w.removesuffix("s")} & words]
    return named[0] if named else spec.y


def _weight_switch(spec: ChartSpec) -> alt.Parameter:
    """A radio button choosing which column (tokens, requests, spend, users) the chart plots."""
    return alt.param(
        name=_WEIGHT_PARAM,
        value=spec.y,
        bind=alt.binding_radio(
            options=[spec.y, *spec.weights.values()], labels=[_y_label(spec), *spec.weights], name="Weight by "
        ),
    )


def _value_channel(spec: ChartSpec) -> dict[str, Any]:
    """The measured axis: the y column, or the weighting the switch picked."""
    assert spec.y is not None
    return dict(
        field=_field(_VALUE if spec.weights else spec.y),
        type="quantitative",
        title="selected weighting" if spec.weights else spec.y,
        stack="zero" if spec.stack and spec.mark in ("area", "bar") else None,
        axis=alt.Axis(format=spec.y_format),
        scale=alt.Scale(type="log") if spec.log_y else alt.Undefined,
    )


def _category_channel(spec: ChartSpec, kind: pa.DataType) -> dict[str, Any]:
    """The x column's axis: UTC time, log or integer steps, or discrete positions for bars."""
    assert spec.x is not None
    vtype = vega_type(kind)
    if spec.mark == "bar" and vtype == "quantitative":
        vtype = "ordinal"  # bars sit on discrete positions
    channel: dict[str, Any] = dict(field=_field(spec.x), type=vtype, title=spec.x)
    if vtype == "temporal":
        channel["scale"] = alt.Scale(type="utc")  # weeks and months are UTC
    elif vtype == "quantitative" and spec.log_x:
        channel["scale"] = alt.Scale(type="log")
        channel["axis"] = alt.Axis(format="~s")
    elif vtype == "quantitative" and pa.types.is_integer(kind):
        channel["axis"] = alt.Axis(tickMinStep=1)  # months since first use: no 0.5 ticks
    return channel


def _with_data(spec: dict[str, Any], table: pa.Table) -> dict[str, Any]:
    """``spec`` with the table's rows attached under the name its marks refer to."""
    return {**spec, "datasets": {_DATA.name: records(table, significant=CHART_DIGITS)}}


def static_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A page spec for a still image: no invisible hover points, which only cost render time."""
    mark = spec.get("mark")
    if isinstance(mark, dict) and "point" in mark:
        return {**spec, "mark": {key: item for key, item in mark.items() if key != "point"}}
    return dict(spec)


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


def _quote(name: str) -> str:
    """A column name as a Vega expression string literal."""
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def table_image_spec(figure: Figure, table: pa.Table) -> dict[str, Any]:
    """A static picture of a table figure, for its PNG/SVG (the page shows a real HTML table).

    Vega-Lite has no table mark, so each column is a text mark placed side by side.
    """
    _check_columns(figure, table)
    head = table.slice(0, TABLE_IMAGE_ROWS)
    weighted = {figure.chart.y, *figure.chart.weights.values()}
    columns = []
    for name, kind in zip(head.column_names, head.schema.types, strict=True):
        if vega_type(kind) == "quantitative":
            number_format = figure.chart.y_format if name in weighted else _OTHER_NUMBER_FORMAT
            text = alt.Text(_field(name), type="quantitative", format=number_format)
            longest = 10
        else:
            text = alt.Text(_field(name), type="nominal")
            longest = pc.max(pc.utf8_length(head[name].cast(pa.string()))).as_py() or 0
        width = min(max(len(name), longest) * 7 + 12, 320)
        columns.append(
            alt.Chart(title=alt.TitleParams(name, anchor="start", fontSize=12), width=width)
            .mark_text(align="left", limit=width)
            .encode(x=alt.value(0), y=alt.Y(f"{_ROW}:O", axis=None), text=text)
        )
    rows = head.append_column(_ROW, pa.array(range(head.num_rows), pa.int64()))
    return _with_data(alt.hconcat(*columns, data=_DATA, spacing=8).configure_view(stroke=None).to_dict(), rows)
