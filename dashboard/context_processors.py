from dashboard import services


def opentrain(request):
    """The banner on every page: sandbox or real API, which host, and the token masked."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    token = services.token_for(request)
    sandbox = services.sandbox_mode()
    accounts = []
    if sandbox:
        try:
            accounts = services.sandbox_accounts()
        except services.opentrain.OpenTrainError:
            accounts = []
    current = request.session.get(services.SANDBOX_ACCOUNT_KEY) or (
        accounts[0].key if accounts else ""
    )
    return {
        "ot_sandbox": sandbox,
        "ot_sandbox_accounts": accounts,
        "ot_api_host": services.api_host(),
        "ot_token_masked": services.mask_token(token),
        "ot_sandbox_account": current,
    }
