"""Train the points scorecard, write its artifact and register it (commits nothing to git)."""

import datetime as dt
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from blockscore.exceptions import DomainError
from credit.scoring import training
from credit.services.registry import model_register


def next_version(directory: Path, today: dt.date) -> str:
    """scorecard-YYYY.MM.N with N one past the highest artifact of that month."""
    prefix = f"scorecard-{today:%Y.%m}."
    taken = [int(m.group(1)) for p in directory.glob(f"{prefix}*.json") if (m := re.search(r"\.(\d+)\.json$", p.name))]
    return f"{prefix}{max(taken, default=0) + 1}"


class Command(BaseCommand):
    help = (
        "Train the credit scorecard (monotonic WoE binning + logistic regression) on the German Credit "
        "data, report cross-validated AUC/KS/Gini and fairness, write credit/artifacts/<version>.json and "
        "register it. Protected attributes are never model inputs."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # our --version names the model; it replaces Django's --version (which prints Django's)
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        defaults = training.TrainingConfig()
        parser.add_argument("--data", default=str(training.DEFAULT_DATA), help="Training CSV (German Credit columns).")
        parser.add_argument("--version", help="Model version (default: scorecard-YYYY.MM.N, the next free N).")
        parser.add_argument("--output", help="Artifact path (default: credit/artifacts/<version>.json).")
        parser.add_argument("--cv-repeats", type=int, default=defaults.cv_repeats, help="Cross-validation repeats.")
        parser.add_argument("--folds", type=int, default=defaults.folds, help="Cross-validation folds.")
        parser.add_argument("--seed", type=int, default=defaults.seed, help="Seed of the fold splits.")
        parser.add_argument("--cutoff", type=int, default=defaults.cutoff, help="Default approval cut-off (score).")
        parser.add_argument("--activate", action="store_true", help="Make the new model the champion.")
        parser.add_argument("--no-register", action="store_true", help="Write the artifact only.")
        parser.add_argument("--force", action="store_true", help="Overwrite an existing artifact file.")

    def handle(self, *args, **options):
        if options["cv_repeats"] < 1 or options["folds"] < 2:
            raise CommandError("--cv-repeats must be at least 1 and --folds at least 2.")
        version = options["version"] or next_version(training.DEFAULT_ARTIFACTS, dt.date.today())
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", version):
            raise CommandError(f"Version {version!r}: use letters, digits, dots, dashes and underscores.")
        output = Path(options["output"] or training.DEFAULT_ARTIFACTS / f"{version}.json")
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} exists; choose another --version or --output, or pass --force.")
        config = training.TrainingConfig(
            folds=options["folds"], cv_repeats=options["cv_repeats"], seed=options["seed"], cutoff=options["cutoff"]
        )
        try:
            artifact = training.train(
                data_path=Path(options["data"]), version=version, config=config, progress=self.stdout.write
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        training.write_artifact(artifact, output)
        self.report(artifact)
        self.stdout.write(f"artifact: {output}")
        if options["no_register"]:
            return
        try:
            model = model_register(output, activate=options["activate"])
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(self.style.SUCCESS(f"registered {model.version} ({model.status})"))

    def report(self, artifact):
        m = artifact["metrics"]
        self.stdout.write(f"model {artifact['version']}: {len(artifact['features'])} features")
        for f in artifact["features"]:
            self.stdout.write(f"  {f['name']}: {len(f['bins'])} bins, IV {f['information_value']}")
        for name, why in artifact["dropped_features"].items():
            self.stdout.write(f"  dropped {name}: {why}")
        self.stdout.write(m["method"])
        for key in ("auc", "ks", "gini"):
            self.stdout.write(f"  {key.upper():5} {m[key]['mean']:.4f} ± {m[key]['std']:.4f}")
        t = m["training_sample"]
        self.stdout.write(
            f"  on the training rows (optimistic): AUC {t['auc']:.4f} KS {t['ks']:.4f} Gini {t['gini']:.4f}"
        )
        f = artifact["fairness"]
        self.stdout.write(f"fairness at cut-off {f['cutoff']} ({f['basis']}): approval rate {f['approval_rate']:.1%}")
        for attribute, g in f["groups"].items():
            p, r = g["protected"], g["reference"]
            self.stdout.write(
                f"  {attribute}: {p['group']} {p['approval_rate']:.1%} (n={p['count']}) vs "
                f"{r['group']} {r['approval_rate']:.1%} (n={r['count']}): adverse impact ratio "
                f"{g['adverse_impact_ratio']:.3f}{'' if g['passes_four_fifths_rule'] else '  BELOW 0.8'}"
            )
