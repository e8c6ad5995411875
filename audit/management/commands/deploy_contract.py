"""Deploy a contract of ``contracts/`` and record where: ``manage.py deploy_contract``.

Compiles ``contracts/<name>.vy`` with the installed Vyper, deploys it from the account of
BLOCKCHAIN_PRIVATE_KEY (which becomes its owner, the only account that may write) to the
node at BLOCKCHAIN_PROVIDER_URL, and records the address (``audit.ContractDeployment``,
audited). From then on attestations on that chain use it, unless BLOCKCHAIN_CONTRACT_ADDRESS
names another.

``--write-build`` only compiles and writes ``contracts/build/<name>.json`` (ABI, bytecode,
compiler and source hash, for verifiers); a test checks that file matches the source.

The in-process development chain needs no deployment (it deploys itself in each process)
and is refused here: it would be gone when this command exits.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from audit import chain


class Command(BaseCommand):
    help = "Deploy a contract (default ScoreAttestations) to the configured chain and record its address."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=chain.ATTESTATIONS_CONTRACT, help="Contract in contracts/ (no .vy).")
        parser.add_argument(
            "--write-build", action="store_true", help="Only compile and write contracts/build/<name>.json."
        )

    def handle(self, *args, name: str, write_build: bool, **options):
        if not chain.contract_source_path(name).is_file():
            raise CommandError(f"No contract source {chain.contract_source_path(name)}.")
        if write_build:
            compiled = chain.contract_compile(name)
            path = chain.contract_build_path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(compiled.build_json(), indent=2) + "\n")
            self.stdout.write(f"Wrote {path} ({compiled.compiler}).")
            return
        try:
            deployment = chain.contract_deploy(name=name)
        except chain.ChainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Deployed {deployment.name} at {deployment.address} on chain {deployment.chain_id} "
                f"(transaction {deployment.tx_hash}, block {deployment.block_number}, owner {deployment.owner})."
            )
        )
