"""Active ISO-4217 currency codes: the currencies a subscription or invoice can be billed in.

The list is ISO 4217's table A.1 (current currencies) without the X-codes: XXX (no
currency), XTS (testing), precious metals (XAU, XAG, XPD, XPT), bond-market units (XBA..XBD)
and the SDR (XDR) are codes, not currencies an account is billed in.  The supranational
currencies XAF, XOF, XCD, XPF and XCG are real currencies and stay.  Kept as data here (no
run-time dependency): a new currency is a one-line change.
"""

from __future__ import annotations

ISO_4217_ACTIVE: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
XPF YER ZAR ZMW ZWG
""".split())
