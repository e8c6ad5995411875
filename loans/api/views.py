"""Loan products, quotes and applications."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from blockscore.idempotency import idempotent_post
from loans import services
from loans.api.serializers import (
    AcceptInput,
    ApplicationInput,
    ApplicationOutput,
    CancelInput,
    LoanOutput,
    LoanQuoteInput,
    LoanQuoteOutput,
    ProductOutput,
    RepaymentInput,
    RepaymentOutput,
    ScheduleRowOutput,
)
from loans.exceptions import ProductUnavailable, WalletCurrencyMismatch
from loans.models import Loan, LoanApplication, LoanProduct, Repayment
from wallets import selectors as wallet_selectors


def _product(code: str) -> LoanProduct:
    product = LoanProduct.objects.filter(code=code, is_active=True).first()
    if product is None:
        raise ProductUnavailable()
    return product


def _parsed(data: dict, fields: list[str], currency: str, *, allow_zero: tuple[str, ...] = ()) -> dict:
    """Parse the named amount strings in ``currency``: 400 with the field's error otherwise."""
    errors, parsed = {}, {}
    for name in fields:
        try:
            parsed[name] = money.parse_amount(data[name], currency, allow_zero=name in allow_zero)
        except money.InvalidAmount as exc:
            errors[name] = [exc.detail]
    if errors:
        raise serializers.ValidationError(errors)
    return parsed


class ProductsView(APIView):
    @extend_schema(tags=["loans"], summary="The loan products on offer.", responses={200: ProductOutput(many=True)})
    def get(self, request):
        return Response(ProductOutput(LoanProduct.objects.filter(is_active=True), many=True).data)


class QuoteView(APIView):
    @extend_schema(
        tags=["loans"],
        summary="Quote a loan: the full schedule, its total cost and APR. Nothing is stored.",
        request=LoanQuoteInput,
        responses={
            200: LoanQuoteOutput,
            422: OpenApiResponse(
                description="`product_unavailable`, `amount_outside_product`, `term_outside_product`."
            ),
        },
    )
    def post(self, request):
        data = LoanQuoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        product = _product(data.validated_data["product"])
        amount = _parsed(data.validated_data, ["amount"], product.currency)["amount"]
        quote = services.loan_quote(product=product, amount=amount, term=data.validated_data["term"])
        return Response(LoanQuoteOutput(quote).data)


def _application(request, application_id) -> LoanApplication:
    """The customer's own application; another customer's is 404."""
    application = (
        LoanApplication.objects.filter(public_id=application_id, applicant=request.user)
        .select_related("product", "score")
        .first()
    )
    if application is None:
        raise Http404
    return application


class ApplicationsView(generics.ListAPIView):
    serializer_class = ApplicationOutput
    queryset = LoanApplication.objects.none()
    filter_backends = []

    @extend_schema(tags=["loans"], summary="Your loan applications, newest first.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return LoanApplication.objects.filter(applicant=self.request.user).select_related("product", "score")

    @extend_schema(
        tags=["loans"],
        summary="Start a loan application (a draft; submit it to have it decided).",
        request=ApplicationInput,
        responses={
            201: ApplicationOutput,
            422: OpenApiResponse(
                description="`product_unavailable`, `amount_outside_product`, `term_outside_product`."
            ),
        },
    )
    def post(self, request):
        data = ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        product = _product(values["product"])
        amounts = _parsed(
            values, ["amount", "monthly_income", "monthly_expenses"], product.currency, allow_zero=("monthly_expenses",)
        )
        application = services.application_create(
            applicant=request.user, product=product, term=values["term"], purpose=values["purpose"], **amounts
        )
        return Response(ApplicationOutput(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    @extend_schema(tags=["loans"], summary="One of your loan applications.", responses={200: ApplicationOutput})
    def get(self, request, application_id):
        return Response(ApplicationOutput(_application(request, application_id)).data)


class ApplicationSubmitView(APIView):
    @extend_schema(
        tags=["loans"],
        summary="Submit a draft: a fresh credit score and automatic underwriting decide it "
        "(approved, referred to a loan officer, or declined with reasons).",
        request=None,
        responses={
            200: ApplicationOutput,
            409: OpenApiResponse(description="`invalid_application_state`: not a draft."),
            422: OpenApiResponse(description="`kyc_not_approved`, `compliance_hold`, `product_unavailable`."),
        },
    )
    def post(self, request, application_id):
        application = services.application_submit(application=_application(request, application_id), actor=request.user)
        return Response(ApplicationOutput(application).data)


class ApplicationCancelView(APIView):
    @extend_schema(
        tags=["loans"],
        summary="Cancel an application before it is disbursed.",
        request=CancelInput,
        responses={200: ApplicationOutput, 409: OpenApiResponse(description="`invalid_application_state`.")},
    )
    def post(self, request, application_id):
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_cancel(
            application=_application(request, application_id), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(ApplicationOutput(application).data)


class ApplicationAcceptView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["loans"],
        summary="Accept an approved offer: the loan is paid into your wallet at once and its schedule fixed.",
        request=AcceptInput,
        responses={
            201: LoanOutput,
            409: OpenApiResponse(description="`invalid_application_state`: not an approved offer."),
            422: OpenApiResponse(description="`wallet_currency_mismatch`."),
        },
    )
    @idempotent_post
    def post(self, request, application_id):
        data = AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        application = _application(request, application_id)
        wallet = None
        if "wallet" in data.validated_data:
            wallet = wallet_selectors.wallet_of(request.user, data.validated_data["wallet"])
        loan = services.application_accept(application=application, actor=request.user, wallet=wallet)
        return Response(LoanOutput(loan).data, status=status.HTTP_201_CREATED)


def _loans_of(user):
    return (
        Loan.objects.filter(borrower=user)
        .select_related("application", "product", "wallet", "disbursement_entry")
        .prefetch_related("installments")
    )


def _loan(request, loan_id) -> Loan:
    loan = _loans_of(request.user).filter(public_id=loan_id).first()
    if loan is None:
        raise Http404
    return loan


class LoansView(generics.ListAPIView):
    serializer_class = LoanOutput
    queryset = Loan.objects.none()
    filter_backends = []

    @extend_schema(tags=["loans"], summary="Your loans, newest first.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return _loans_of(self.request.user)


class LoanDetailView(APIView):
    @extend_schema(tags=["loans"], summary="One of your loans.", responses={200: LoanOutput})
    def get(self, request, loan_id):
        return Response(LoanOutput(_loan(request, loan_id)).data)


class LoanScheduleView(APIView):
    @extend_schema(
        tags=["loans"],
        summary="A loan's schedule, as fixed at disbursement.",
        responses={200: ScheduleRowOutput(many=True)},
    )
    def get(self, request, loan_id):
        loan = _loan(request, loan_id)
        rows = loan.installments.order_by("number")
        return Response(ScheduleRowOutput(rows, many=True, context={"currency": loan.currency}).data)


class LoanRepaymentsView(APIView):
    throttle_scope = "money"

    @extend_schema(
        tags=["loans"], summary="A loan's repayments, newest first.", responses={200: RepaymentOutput(many=True)}
    )
    def get(self, request, loan_id):
        loan = _loan(request, loan_id)
        repayments = loan.repayments.select_related("loan", "entry")
        return Response(RepaymentOutput(repayments, many=True).data)

    @extend_schema(
        tags=["loans"],
        summary="Repay from your wallet: overdue installments first (fee, interest, principal), then the next "
        "installment; anything beyond is a prepayment that lowers the later installments (same term). Paying "
        "exactly the payoff amount repays the loan in full.",
        request=RepaymentInput,
        responses={
            201: RepaymentOutput,
            409: OpenApiResponse(description="`loan_not_open`: paid off or written off."),
            422: OpenApiResponse(
                description="`overpayment` (more than the payoff amount, given in `payoff_amount`), "
                "`insufficient_funds`, `wallet_currency_mismatch`."
            ),
        },
    )
    @idempotent_post
    def post(self, request, loan_id):
        data = RepaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        loan = _loan(request, loan_id)
        amount = _parsed(data.validated_data, ["amount"], loan.currency)["amount"]
        if "wallet" in data.validated_data:
            wallet = wallet_selectors.wallet_of(request.user, data.validated_data["wallet"])
            if wallet.currency != loan.currency:
                raise WalletCurrencyMismatch(
                    f"This loan is repaid in {loan.currency}; the wallet holds {wallet.currency}."
                )
        else:
            wallet = None
        repayment = services.repayment_make(
            loan=loan, amount=amount, source=Repayment.Source.WALLET, actor=request.user, wallet=wallet
        )
        return Response(RepaymentOutput(repayment).data, status=status.HTTP_201_CREATED)
