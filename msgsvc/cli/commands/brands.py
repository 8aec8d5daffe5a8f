"""msgsvc brands: the account's US A2P 10DLC brand registrations (read only)."""

from typing import Annotated

import typer

from msgsvc.cli.complete import complete_brands
from msgsvc.cli import listing
from msgsvc.cli.options import JqOpt, JsonOpt, ProfileOpt, columns_help, declared, list_options, use, fields_option
from msgsvc.api.resources import BRAND

app = typer.Typer(
    help="US A2P 10DLC brand registrations (read only).\n\nThe account's brands: status and failure reason.\n\n"
    "Example:\n\n\b\n    msgsvc brands list\n    msgsvc brands get BN0123456789abcdef0123456789abcdef",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LimitOpt, AllOpt, PageSizeOpt = list_options("brands")
BrandFieldsOpt = fields_option(BRAND.keys)


def _check_brand(value: str) -> str:
    from msgsvc.api import validate

    try:
        return validate.sid(value, "BN")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


BrandArg = Annotated[
    str,
    typer.Argument(metavar="BRAND", help="A BN... brand registration SID.", callback=_check_brand,
                   autocompletion=complete_brands, show_default=False),
]


brands_list = app.command("list")(declared(
    listing.brands_list, limit=LimitOpt, all_=AllOpt, page_size=PageSizeOpt, fields=BrandFieldsOpt, jq=JqOpt, json_=JsonOpt,
    profile=ProfileOpt))


@app.command("get")
def brands_get(ctx: typer.Context, brand: BrandArg, fields: BrandFieldsOpt = None, jq: JqOpt = None,
               json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show one brand registration, every field.

    On a terminal, why it failed.

    Example:

    \b
        msgsvc brands get BN0123456789abcdef0123456789abcdef
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=BRAND.keys, jq=jq)
    from msgsvc.api.a2p import describe_errors
    from msgsvc.cli.output import emit_record, note

    record = state.client().get_brand(brand)
    emit_record(state.term, record, as_json=state.json, fields=state.fields, jq=state.jq)
    listing.remember_brands(state, [record], complete=False)
    if state.term.stdout_tty and not state.json and not state.fields and record.get("status") == "FAILED":
        note(state.term, f"Brand {brand} FAILED: {state.term.escape(str(record.get('failure_reason') or 'no reason given'))}")
        for line in describe_errors(record):
            note(state.term, f"  {state.term.escape(line)}")


brands_list.__doc__ = brands_list.__doc__.replace("{columns}", columns_help(BRAND.columns, BRAND.keys))
