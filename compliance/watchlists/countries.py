"""Country names as the lists write them → ISO 3166-1 alpha-2 codes.

django-countries knows the ISO short names; the lists also use older or descriptive
forms ("Korea, North", "Burma", "Iran (Islamic Republic of)"), listed here."""

from functools import lru_cache

from anyascii import anyascii

ALIASES = {
    "korea, north": "KP",
    "north korea": "KP",
    "democratic people's republic of korea": "KP",
    "korea, south": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "burma": "MM",
    "congo, democratic republic of the": "CD",
    "democratic republic of congo": "CD",
    "congo, republic of the": "CG",
    "republic of the congo": "CG",
    "cote d'ivoire": "CI",
    "ivory coast": "CI",
    "kosovo": "XK",
    "palestinian": "PS",
    "palestinian territories": "PS",
    "occupied palestinian territory": "PS",
    "state of palestine": "PS",
    "west bank": "PS",
    "gaza": "PS",
    "gaza strip": "PS",
    "micronesia, federated states of": "FM",
    "bahamas, the": "BS",
    "gambia, the": "GM",
    "virgin islands, british": "VG",
    "british virgin islands": "VG",
    "netherlands antilles": "AN",
    "curacao": "CW",
    "united republic of tanzania": "TZ",
    "syrian arab republic": "SY",
    "russian federation": "RU",
    "iran (islamic republic of)": "IR",
    "venezuela (bolivarian republic of)": "VE",
    "bolivia (plurinational state of)": "BO",
    "republic of moldova": "MD",
    "the former yugoslav republic of macedonia": "MK",
    "north macedonia": "MK",
    "lao people's democratic republic": "LA",
    "viet nam": "VN",
    "turkiye": "TR",
    "united states of america": "US",
    "united states": "US",
    "usa": "US",
    "united kingdom of great britain and northern ireland": "GB",
    "china, people's republic of": "CN",
    "sudan, south": "SS",
    "yugoslavia": "RS",
    "serbia and montenegro": "RS",
    "czechia": "CZ",
    "eswatini": "SZ",
    "swaziland": "SZ",
    "cabo verde": "CV",
    "brunei darussalam": "BN",
    "holy see": "VA",
    "the gambia": "GM",
    "cote d ivoire": "CI",
    "region: gaza": "PS",
    "region: crimea": "UA",
    "macedonia, the former yugoslav republic of": "MK",
    "st. vincent and the grenadines": "VC",
    "st. kitts & nevis": "KN",
    "st. kitts and nevis": "KN",
    "st. lucia": "LC",
    "macau": "MO",
    "china, hong kong special administrative region": "HK",
    "possibly palestinian": "PS",
}


@lru_cache(maxsize=4096)
def country_code(name: str) -> str:
    """The ISO code of a country name, or the cleaned name itself when unknown."""
    cleaned = " ".join(name.replace("\xa0", " ").split()).strip(" .;,")
    if not cleaned:
        return ""
    if len(cleaned) == 2 and cleaned.isalpha() and cleaned.isupper():
        return cleaned
    key = anyascii(cleaned).lower()
    if key in ALIASES:
        return ALIASES[key]
    from django_countries import countries

    code = countries.by_name(cleaned) or countries.by_name(anyascii(cleaned))
    return code or cleaned
