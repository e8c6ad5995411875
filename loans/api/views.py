"""Loan products and quotes (applications and loans follow)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from blockscore import money
from loans.api.serializers import LoanQuoteInput, LoanQuoteOutput, ProductOutput
from loans.exceptions import ProductUnavailable
from loans.models import LoanProduct
from loans.services import loan_quote


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
        product = LoanProduct.objects.filter(code=data.validated_data["product"], is_active=True).first()
        if product is None:
            raise ProductUnavailable()
        try:
            amount = money.parse_amount(data.validated_data["amount"], product.currency)
        except money.InvalidAmount as exc:
            raise serializers.ValidationError({"amount": [exc.detail]}) from exc
        quote = loan_quote(product=product, amount=amount, term=data.validated_data["term"])
        return Response(LoanQuoteOutput(quote).data)
