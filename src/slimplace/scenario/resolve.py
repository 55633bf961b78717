"""Schema to domain: a validated scenario document as a :class:`~slimplace.scenario.model.Scenario`.

References (hardware profiles, link kinds, model families, regions) resolve inline
first, then in the catalog; the scenario holds the inline entries plus the catalog
entries it uses, each tuple sorted by name, so files that differ only in order
build equal scenarios. The ``to_*`` converters turn one schema entry into its
domain value (job files use them too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

from slimplace.catalog import Catalog
from slimplace.errors import Problem
from slimplace.scenario import schema
from slimplace.scenario.generation import Generation
from slimplace.scenario.model import (
    Application,
    BatchCurve,
    HardwareProfile,
    LatencyFit,
    Link,
    LinkKind,
    MeasuredLatency,
    ModelFamily,
    Node,
    PowerCurve,
    PowerMode,
    RadioModel,
    Region,
    Scenario,
    Settings,
    Source,
    SplitSpec,
    Stage,
    Variant,
)
from slimplace.scenario.validate import check_structure, check_values, suggest
from slimplace.split.validate import check_splits

if TYPE_CHECKING:
    from slimplace.llm.scenario import LlmParts

E = TypeVar("E")


def to_hardware(
    m: schema.HardwareModel, fallback: HardwareProfile | None = None
) -> HardwareProfile:
    """The profile of an inline entry; embodied carbon and lifetime it omits come from
    ``fallback`` (the catalog's profile of that name), else none (0 kgCO2e)."""
    curve = m.power_curve
    embodied = (
        m.embodied_kg
        if m.embodied_kg is not None
        else (fallback.embodied_kg if fallback is not None else 0.0)
    )
    lifetime = (
        m.lifetime_years
        if m.lifetime_years is not None
        else (fallback.lifetime_years if fallback is not None else 4.0)
    )
    return HardwareProfile(
        name=m.name,
        tier=m.tier,
        throughput_flops=m.throughput,
        memory_bytes=m.memory,
        idle_power_w=m.idle_power,
        peak_power_w=m.peak_power,
        wake_time_s=m.wake_time,
        wake_energy_j=m.wake_energy,
        sleep_power_w=m.sleep_power,
        device_class=m.device_class,
        power_curve=None
        if curve is None
        else PowerCurve(tuple(curve.utilisation), tuple(curve.power)),
        description=m.description,
        source=m.source,
        latency_fit=None if m.latency_fit is None else _latency_fit(m.latency_fit),
        embodied_kg=embodied,
        lifetime_years=lifetime,
        power_modes=tuple(_power_mode(mode) for mode in m.power_modes),
        batching=None if m.batching is None else _batch_curve(m.batching),
    )


def _power_mode(m: schema.PowerModeModel) -> PowerMode:
    return PowerMode(
        name=m.name,
        throughput_factor=m.throughput_factor,
        idle_power_w=m.idle_power,
        peak_power_w=m.peak_power,
        switch_time_s=m.switch_time,
        switch_energy_j=m.switch_energy,
        source=m.source,
    )


def _batch_curve(m: schema.BatchCurveModel) -> BatchCurve:
    return BatchCurve(tuple(m.batch_sizes), tuple(m.throughput_factor), m.source)


def _latency_fit(m: schema.LatencyFitModel) -> LatencyFit:
    return LatencyFit(
        overhead_s=m.overhead,
        flops_per_s=m.throughput,
        memory_bandwidth_bps=m.memory_bandwidth,
        weight_bandwidth_bps=m.weight_bandwidth,
        int8_flops_per_s=m.int8_throughput,
        batch_size=m.batch_size,
        mape=m.mape,
        n_points=m.n_points,
        source=m.source,
        depthwise_bandwidth_bps=m.depthwise_bandwidth,
    )


def to_link_kind(m: schema.LinkKindModel) -> LinkKind:
    return LinkKind(
        m.name,
        m.bandwidth,
        m.latency,
        m.energy_per_bit,
        m.source,
        baseload_w=m.baseload,
        marginal_j_per_bit=m.marginal_energy_per_bit,
        shared=m.shared,
        radio=m.radio,
        sleep_w=m.sleep_power,
        wake_time_s=m.wake_time,
    )


def to_family(m: schema.FamilyModel) -> ModelFamily:
    variants = tuple(
        Variant(
            name=v.name,
            accuracy=v.accuracy,
            flops=v.flops,
            params=v.params,
            memory_bytes=v.memory,
            kind=v.kind,
            width=v.width,
            resolution=v.resolution,
            precision=v.precision,
            measured=tuple(
                MeasuredLatency(x.device_class, x.latency, x.batch_size, x.source)
                for x in v.measured
            ),
            source=v.source,
        )
        for v in m.variants
    )
    return ModelFamily(
        name=m.name,
        variants=variants,
        weight_sharing=m.weight_sharing,
        switch_time_s=m.switch_time,
        load_time_s=m.load_time,
        task=m.task,
        source=m.source,
    )


def to_region(m: schema.RegionModel) -> Region:
    return Region(m.code, m.carbon_intensity, m.source)


class _Table(Generic[E]):
    """One kind of named entry: inline ones (with file index) over the catalog's."""

    def __init__(
        self,
        field: str,
        what: str,
        inline: Sequence[tuple[str, E]],
        catalog: Mapping[str, E],
        problems: list[Problem],
    ) -> None:
        self.field, self.what, self.catalog = field, what, catalog
        self.inline: dict[str, tuple[int, E]] = {}
        self.used: set[str] = set()
        key = "code" if field == "regions" else "name"
        for i, (name, entry) in enumerate(inline):
            if name in self.inline:
                first = self.inline[name][0]
                message = f"duplicate {what} {name!r} (also {field}[{first}])"
                problems.append(Problem(f"{field}[{i}].{key}", message))
            else:
                self.inline[name] = (i, entry)

    def resolve(self, name: str, path: str, problems: list[Problem]) -> E | None:
        """The entry called ``name``, or ``None`` after recording a problem at ``path``."""
        if name in self.inline:
            self.used.add(name)
            return self.inline[name][1]
        if name in self.catalog:
            self.used.add(name)
            return self.catalog[name]
        problems.append(Problem(path, suggest(name, [*self.inline, *self.catalog], self.what)))
        return None

    def selected(self, key: Callable[[E], str]) -> tuple[E, ...]:
        """Inline entries and used catalog entries, sorted by name."""
        chosen = {name: e for name, (_, e) in self.inline.items()}
        chosen.update({n: self.catalog[n] for n in self.used if n not in chosen})
        return tuple(sorted(chosen.values(), key=key))

    def renames(self) -> dict[str, str]:
        """Name paths of inline entries (``hardware[box]``) to file paths (``hardware[0]``)."""
        return {f"{self.field}[{n}]": f"{self.field}[{i}]" for n, (i, _) in self.inline.items()}


def resolve_document(doc: schema.ScenarioFile, catalog: Catalog) -> tuple[Scenario, list[Problem]]:
    """The domain scenario of a validated file, and every problem of resolution and checks.

    Hardware profiles, link kinds, families and regions resolve inline first, then
    in ``catalog`` (close names suggested); links take their kind's bandwidth,
    latency and energy where they give none. Problems of
    :func:`~slimplace.scenario.validate.check_values` and ``check_structure`` are
    named by file path (``hardware[0]``), not by entry name.
    """
    problems: list[Problem] = []
    llm = _llm_parts(doc, problems)
    llm_hardware = llm.hardware if llm else {}
    llm_families = llm.families if llm else ()
    generations = llm.generations if llm else {}
    hardware = _Table(
        "hardware",
        "hardware profile",
        [
            (m.name, replace(to_hardware(m, catalog.hardware.get(m.name)), llm=llm_hardware.get(i)))
            for i, m in enumerate(doc.hardware)
        ],
        catalog.hardware,
        problems,
    )
    kinds = _Table(
        "link_kinds",
        "link kind",
        [(m.name, to_link_kind(m)) for m in doc.link_kinds],
        catalog.link_kinds,
        problems,
    )
    families = _Table(
        "families",
        "model family",
        [(m.name, to_family(m)) for m in doc.families] + [(f.name, f) for f in llm_families],
        catalog.families,
        problems,
    )
    regions = _Table(
        "regions",
        "region",
        [(m.code, to_region(m)) for m in doc.regions],
        catalog.regions,
        problems,
    )
    st = doc.settings
    settings = Settings(
        st.max_utilisation,
        st.service_cv2,
        st.horizon,
        st.objective,
        st.default_region,
        st.slo_quantile,
        st.network_energy,
        st.k_paths,
        st.link_sleep,
    )
    regions.resolve(settings.default_region, "settings.default_region", problems)

    nodes = []
    for i, n in enumerate(doc.nodes):
        if n.hardware is not None:
            hardware.resolve(n.hardware, f"nodes[{i}].hardware", problems)
        if n.region is not None:
            regions.resolve(n.region, f"nodes[{i}].region", problems)
        position = None if n.position is None else (float(n.position[0]), float(n.position[1]))
        region = settings.default_region if n.region is None else n.region
        nodes.append(
            Node(
                n.id,
                n.tier,
                n.hardware,
                n.count,
                n.pue,
                region,
                position,
                n.always_on,
                n.local_only,
                n.ownership,
            )
        )

    links = []
    for i, lk in enumerate(doc.links):
        kind = kinds.resolve(lk.kind, f"links[{i}].kind", problems)
        # An unknown kind leaves placeholders; the problem recorded above stops the load.
        bandwidth = (
            lk.bandwidth if lk.bandwidth is not None else kind.bandwidth_bps if kind else 1.0
        )
        latency = lk.latency if lk.latency is not None else kind.latency_s if kind else 0.0
        energy = (
            lk.energy_per_bit
            if lk.energy_per_bit is not None
            else (kind.energy_j_per_bit if kind else 0.0)
        )
        links.append(
            Link(
                lk.a,
                lk.b,
                lk.kind,
                bandwidth,
                latency,
                energy,
                baseload_w=lk.baseload,
                marginal_j_per_bit=lk.marginal_energy_per_bit,
            )
        )

    apps = []
    for i, a in enumerate(doc.applications):
        for j, stage in enumerate(a.stages):
            families.resolve(stage.family, f"applications[{i}].stages[{j}].family", problems)
        family = a.family or (a.stages[0].family if a.stages else None)
        if family is None:
            problems.append(Problem(f"applications[{i}].family", "required (or give stages)"))
            continue
        if a.family is not None:
            families.resolve(a.family, f"applications[{i}].family", problems)
        sources = tuple(Source(s.node, s.rate) for s in a.sources)
        gen = generations.get(i)
        request, response = _message_bytes(a, gen, f"applications[{i}]", problems)
        apps.append(
            Application(
                a.id,
                family,
                sources,
                request,
                response,
                a.slo,
                a.accuracy_floor,
                a.accuracy_mode,
                a.splittable,
                a.workload,
                split=to_split(a.split),
                stages=tuple(to_stage(m) for m in a.stages),
                generation=gen,
            )
        )

    link_kinds = kinds.selected(lambda k: k.name)
    profiles = hardware.selected(lambda h: h.name)
    if generations:  # catalog profiles serve language models at the catalog's speed
        from slimplace.llm.scenario import with_catalog_llm

        profiles = with_catalog_llm(profiles, set(hardware.inline))
    scenario = Scenario(
        name=doc.name,
        nodes=tuple(nodes),
        links=tuple(links),
        hardware=profiles,
        link_kinds=link_kinds,
        families=families.selected(lambda f: f.name),
        applications=tuple(apps),
        regions=regions.selected(lambda r: r.code),
        settings=settings,
        description=doc.description,
        radio_models=_radio_models(link_kinds, kinds.renames(), catalog, problems),
    )
    renames = {**hardware.renames(), **kinds.renames(), **families.renames(), **regions.renames()}
    renames.update(
        {f"families[{f.name}]": f"llm_families[{j}]" for j, f in enumerate(llm_families)}
    )
    checked = check_values(scenario) + check_structure(scenario) + check_splits(scenario)
    if any(a.generation is not None for a in apps) or any(
        v.kind == "llm" for f in scenario.families for v in f.variants
    ):
        from slimplace.llm.scenario import check_generation_apps

        paths = [f"applications[{i}]" for i in range(len(apps))]
        checked += check_generation_apps(scenario, paths)
    problems += [_renamed(p, renames) for p in checked]
    return scenario, problems


def to_split(m: schema.SplitModel | None) -> SplitSpec | None:
    """A split specification from its file form."""
    if m is None:
        return None
    return SplitSpec(
        m.network,
        tuple(m.cuts),
        m.cut_precision,
        m.cut_accuracy_loss,
        m.exit_after,
        m.exit_rate,
        m.exit_accuracy_loss,
    )


def to_stage(m: schema.StageModel) -> Stage:
    """A stage of a multi-stage application from its file form."""
    return Stage(m.id, m.family, tuple(m.after), m.output, m.calls)


def _llm_parts(doc: schema.ScenarioFile, problems: list[Problem]) -> LlmParts | None:
    """The language-model parts of ``doc`` (:mod:`slimplace.llm.scenario`), or None when
    the file has none (then the LLM package is not even imported)."""
    if not (
        doc.llm_families
        or any(h.llm is not None for h in doc.hardware)
        or any(a.generation is not None for a in doc.applications)
    ):
        return None
    from slimplace.llm.scenario import resolve_llm_parts

    return resolve_llm_parts(doc, problems)


def _message_bytes(
    a: schema.ApplicationModel, gen: Generation | None, path: str, problems: list[Problem]
) -> tuple[float, float]:
    """Request and response bytes: as given, else from a generation's mean token counts."""
    derived = (0.0, 0.0)
    if gen is not None and (a.request is None or a.response is None):
        from slimplace.llm.scenario import message_bytes

        derived = message_bytes(gen)
    for name, value in (("request", a.request), ("response", a.response)):
        if value is None and a.generation is None:
            problems.append(Problem(f"{path}.{name}", "missing (or give a generation: block)"))
    request = a.request if a.request is not None else derived[0]
    response = a.response if a.response is not None else derived[1]
    return request, response


def _radio_models(
    link_kinds: Sequence[LinkKind],
    renames: Mapping[str, str],
    catalog: Catalog,
    problems: list[Problem],
) -> tuple[RadioModel, ...]:
    """The catalog's radio models the link kinds name (an unknown name is a problem, with
    close names suggested)."""
    found: dict[str, RadioModel] = {}
    for kind in link_kinds:
        if not kind.radio:
            continue
        if kind.radio in catalog.radios:
            found[kind.radio] = catalog.radios[kind.radio]
            continue
        where = renames.get(f"link_kinds[{kind.name}]", f"link_kinds[{kind.name}]")
        problems.append(
            Problem(f"{where}.radio", suggest(kind.radio, catalog.radios, "radio model"))
        )
    return tuple(found[name] for name in sorted(found))


def _renamed(problem: Problem, renames: Mapping[str, str]) -> Problem:
    head, sep, rest = problem.path.partition("].")
    prefix = head + "]" if sep else problem.path
    if prefix in renames:
        return Problem(renames[prefix] + ("." + rest if sep else ""), problem.message)
    return problem


__all__ = ["resolve_document", "to_family", "to_hardware", "to_link_kind", "to_region"]
