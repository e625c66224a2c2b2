"""``papersift adapt``: fine-tune the deployment's sentence encoder on its own papers."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from papersift.cli_errors import handle_errors
from papersift.settings import Settings

ADOPT_HINT = (
    "to adopt it, embed every paper again with it:\n"
    "  PAPERSIFT_EMBEDDER_MODEL={model} papersift index --rebuild\n"
    "and keep PAPERSIFT_EMBEDDER_MODEL set (or unset it: the vector index records its embedder)"
)


@click.command()
@click.option(
    "--minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Training time budget; the model is saved when it runs out (run again with more "
    "minutes to continue).",
)
@click.option("--max-docs", type=click.IntRange(min=2), help="Adapt on a random sample of papers.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same weights.")
@click.option(
    "--pairs-per-doc",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Training pairs made from each paper (each about 0.2 s of training on 2 idle cores).",
)
@click.option("--no-titles", is_flag=True, help="Never show the encoder a title.")
@click.option(
    "--loss",
    type=click.Choice(["multiple-negatives-ranking", "decoupled-softmax"]),
    default="multiple-negatives-ranking",
    show_default=True,
    help="Softmax over the batch's passages; decoupled-softmax (DEXML) leaves the positive out "
    "of the denominator.",
)
@click.option("--max-steps", type=click.IntRange(min=1), help="Plan at most this many steps.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the adapted model goes into (default: adapted/ in the model cache).",
)
@click.option("--no-export", is_flag=True, help="Skip the onnx-int8 export (done on first use).")
@click.pass_context
@handle_errors
def adapt(
    ctx: click.Context,
    minutes: float,
    max_docs: int | None,
    seed: int,
    pairs_per_doc: int,
    no_titles: bool,
    loss: str,
    max_steps: int | None,
    output: Path | None,
    no_export: bool,
) -> None:
    """Adapt the sentence encoder to this deployment's papers, without labels.

    Contrastive pairs come from the papers themselves (title and abstract, a sentence and the
    rest, key terms and phrases), with in-batch and BM25-mined hard negatives. Runs on the CPU
    within --minutes, checkpoints, and resumes when run again after an interruption. Needs
    pip install 'papersift[export]'.
    """
    from papersift.embeddings.adapt import (
        AdaptConfig,
        AdaptInterrupted,
        Controls,
        Document,
        adapt_model,
    )
    from papersift.engine import Engine

    settings: Settings = ctx.obj["settings"]

    engine = Engine(settings)
    try:
        spec = engine.embedder_spec()
        base_model = spec.model if spec else settings.embedder_model
        documents = [Document(p.title, p.abstract) for p in engine.all_papers()]
    finally:
        engine.close()
    config = AdaptConfig(
        base_model,
        seed=seed,
        max_docs=max_docs,
        pairs_per_doc=pairs_per_doc,
        use_titles=not no_titles,
        loss=loss,
        max_steps=max_steps,
    )
    click.echo(f"adapting {base_model} to {len(documents):,} papers", err=True)
    try:
        result = adapt_model(
            documents,
            config,
            work_root=settings.data_dir / "adapt",
            output_root=output or settings.models_dir / "adapted",
            controls=Controls(budget_seconds=minutes * 60),
            export_cache_dir=None if no_export else settings.models_dir,
            progress=sys.stderr.isatty(),
        )
    except AdaptInterrupted as stop:
        click.echo(f"papersift adapt: {stop}; run the same command again to resume", err=True)
        sys.exit(130)
    meta = result.metadata
    done = "" if result.complete else " (time budget reached: run again with more --minutes)"
    click.echo(
        f"adapted model: {result.model_dir}\n"
        f"  {meta['steps']} of {meta['steps_planned']} steps{done}, "
        f"{meta['training_seconds']:.0f} s of training, "
        f"{meta['data']['pairs']:,} pairs from {meta['data']['documents']:,} papers, "
        f"loss by epoch {meta['losses_per_epoch']}"
    )
    click.echo(ADOPT_HINT.format(model=result.model_dir), err=True)
