"""The demo's base data: categories, ~300 products with bundles, warehouses, shops, suppliers,
customers and their platform buyer ids, and USD rates. Everything goes through catalog services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import set_exchange_rates
from ecerp_core.catalog.customers import link_customer_accounts
from ecerp_core.db import frozen_clock
from ecerp_core.demo.context import DemoContext, DemoProduct, DemoStep
from ecerp_core.money import round_money

CATEGORIES = (  # code, 中文, English, parent
    ("APPAREL", "服装", "Apparel", None), ("APPAREL/WOMEN", "女装", "Womenswear", "APPAREL"),
    ("APPAREL/MEN", "男装", "Menswear", "APPAREL"), ("HOME", "家居", "Home", None),
    ("HOME/KITCHEN", "厨房用品", "Kitchen", "HOME"), ("HOME/STORAGE", "收纳整理", "Storage", "HOME"),
    ("DIGITAL", "数码配件", "Digital accessories", None),
    ("DIGITAL/PHONE", "手机配件", "Phone accessories", "DIGITAL"),
    ("DIGITAL/PC", "电脑配件", "Computer accessories", "DIGITAL"), ("BEAUTY", "美妆", "Beauty", None),
    ("BEAUTY/SKIN", "护肤", "Skin care", "BEAUTY"), ("BEAUTY/MAKEUP", "彩妆", "Make-up", "BEAUTY"),
    ("FOOD", "食品", "Food", None), ("FOOD/SNACK", "零食", "Snacks", "FOOD"),
    ("FOOD/TEA", "茶饮", "Tea & drinks", "FOOD"),
)  # fmt: skip

SIZES = (("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL"), ("XXL", "XXL"))
COLOURS = (
    ("WH", "白色", "white"),
    ("BK", "黑色", "black"),
    ("GY", "灰色", "grey"),
    ("NV", "藏青", "navy"),
    ("PK", "粉色", "pink"),
    ("GN", "墨绿", "green"),
)

# category, code, 中文名, English name, list price (CNY), variants: "size" | "colour" | "both" | None
ITEMS = (
    ("APPAREL/WOMEN", "WTEE", "纯棉圆领T恤", "Cotton crew-neck T-shirt", "59", "both"),
    ("APPAREL/WOMEN", "WDRS", "碎花连衣裙", "Floral dress", "169", "size"),
    ("APPAREL/WOMEN", "WDWN", "轻薄羽绒服", "Light down jacket", "399", "both"),
    ("APPAREL/WOMEN", "WCRD", "针织开衫", "Knit cardigan", "139", "size"),
    ("APPAREL/MEN", "MPOL", "商务Polo衫", "Business polo shirt", "129", "both"),
    ("APPAREL/MEN", "MJNS", "直筒牛仔裤", "Straight jeans", "199", "size"),
    ("APPAREL/MEN", "MHOD", "加绒卫衣", "Fleece hoodie", "179", "both"),
    ("APPAREL/MEN", "MSOC", "运动袜五双装", "Sports socks 5-pack", "29", "colour"),
    ("HOME/KITCHEN", "KPAN", "不粘炒锅", "Non-stick wok", "159", None),
    ("HOME/KITCHEN", "KKNF", "不锈钢刀具套装", "Stainless knife set", "229", None),
    ("HOME/KITCHEN", "KBOT", "真空保温杯", "Vacuum flask", "89", "colour"),
    ("HOME/KITCHEN", "KBOX", "玻璃保鲜盒", "Glass food container", "49", None),
    ("HOME/KITCHEN", "KCUT", "竹砧板", "Bamboo chopping board", "39", None),
    ("HOME/STORAGE", "SBOX", "折叠收纳箱", "Folding storage box", "35", "colour"),
    ("HOME/STORAGE", "SHNG", "植绒衣架十个装", "Velvet hangers 10-pack", "25", "colour"),
    ("HOME/STORAGE", "SVAC", "真空压缩袋", "Vacuum storage bags", "45", None),
    ("HOME/STORAGE", "SDRW", "桌面抽屉收纳盒", "Desk drawer organiser", "55", None),
    ("DIGITAL/PHONE", "PCBL", "快充数据线", "Fast-charge cable", "29", "colour"),
    ("DIGITAL/PHONE", "PCHG", "氮化镓充电器", "GaN charger", "99", None),
    ("DIGITAL/PHONE", "PCAS", "磁吸手机壳", "Magnetic phone case", "49", "colour"),
    ("DIGITAL/PHONE", "PPWR", "充电宝", "Power bank", "129", "colour"),
    ("DIGITAL/PHONE", "PBUD", "蓝牙耳机", "Bluetooth earbuds", "199", "colour"),
    ("DIGITAL/PC", "CMOU", "无线鼠标", "Wireless mouse", "69", "colour"),
    ("DIGITAL/PC", "CKEY", "机械键盘", "Mechanical keyboard", "299", None),
    ("DIGITAL/PC", "CHUB", "USB-C扩展坞", "USB-C hub", "159", None),
    ("DIGITAL/PC", "CPAD", "大号鼠标垫", "Large mouse pad", "39", "colour"),
    ("BEAUTY/SKIN", "BCRM", "保湿面霜", "Moisturising cream", "129", None),
    ("BEAUTY/SKIN", "BSUN", "清爽防晒霜", "Light sunscreen", "99", None),
    ("BEAUTY/SKIN", "BMSK", "补水面膜十片装", "Hydrating masks 10-pack", "79", None),
    ("BEAUTY/SKIN", "BCLN", "氨基酸洁面乳", "Amino-acid cleanser", "69", None),
    ("BEAUTY/SKIN", "BTNR", "爽肤水", "Toner", "89", None),
    ("BEAUTY/MAKEUP", "MLIP", "哑光口红", "Matte lipstick", "119", "colour"),
    ("BEAUTY/MAKEUP", "MCSH", "气垫粉底", "Cushion foundation", "159", None),
    ("BEAUTY/MAKEUP", "MBRW", "眉笔", "Eyebrow pencil", "39", None),
    ("FOOD/SNACK", "FNUT", "每日坚果三十袋", "Daily nuts 30 bags", "119", None),
    ("FOOD/SNACK", "FBEE", "麻辣牛肉干", "Spicy beef jerky", "59", None),
    ("FOOD/SNACK", "FCHO", "黑巧克力礼盒", "Dark chocolate gift box", "89", None),
    ("FOOD/SNACK", "FMOON", "广式月饼礼盒", "Cantonese mooncake box", "168", None),
    ("FOOD/SNACK", "FZZI", "手工粽子礼盒", "Handmade zongzi box", "99", None),
    ("FOOD/TEA", "TLJ", "西湖龙井", "West Lake Longjing tea", "268", None),
    ("FOOD/TEA", "TPU", "云南普洱茶饼", "Yunnan Pu'er tea cake", "198", None),
    ("FOOD/TEA", "TFLW", "花果茶组合", "Flower & fruit tea set", "49", None),
    ("FOOD/TEA", "TCOF", "挂耳咖啡", "Drip-bag coffee", "69", None),
    ("APPAREL/WOMEN", "WSCF", "真丝围巾", "Silk scarf", "129", "colour"),
    ("APPAREL/MEN", "MCAP", "棒球帽", "Baseball cap", "59", "colour"),
    ("HOME/KITCHEN", "KMUG", "陶瓷马克杯", "Ceramic mug", "39", "colour"),
    ("HOME/STORAGE", "SLND", "脏衣篮", "Laundry basket", "59", "colour"),
    ("DIGITAL/PHONE", "PHLD", "车载手机支架", "Car phone holder", "59", "colour"),
    ("DIGITAL/PC", "CBAG", "电脑内胆包", "Laptop sleeve", "79", "colour"),
    ("BEAUTY/MAKEUP", "MNAI", "指甲油", "Nail polish", "29", "colour"),
)

# code, 中文名, English, [(sku prefix, qty), ...] — components are each item's first variant
BUNDLES = (
    ("BUN-SKIN3", "护肤三件套", "Skin care trio", [("BCLN", 1), ("BTNR", 1), ("BCRM", 1)]),
    ("BUN-SKIN2", "补水保湿套装", "Hydration set", [("BMSK", 1), ("BCRM", 1)]),
    ("BUN-SUN", "夏日防晒组合", "Summer sun kit", [("BSUN", 2), ("BCLN", 1)]),
    ("BUN-KIT3", "厨房三件套", "Kitchen trio", [("KPAN", 1), ("KKNF", 1), ("KCUT", 1)]),
    ("BUN-BOX4", "收纳四件套", "Storage set of four", [("SBOX", 2), ("SVAC", 1), ("SDRW", 1)]),
    ("BUN-DESK", "桌面办公组合", "Desk set", [("CMOU", 1), ("CKEY", 1), ("CPAD", 1)]),
    ("BUN-CHG", "充电组合", "Charging kit", [("PCHG", 1), ("PCBL", 2)]),
    ("BUN-TRIP", "出行数码包", "Travel tech pack", [("PPWR", 1), ("PCBL", 1), ("PBUD", 1)]),
    ("BUN-SNACK", "零食大礼包", "Snack hamper", [("FNUT", 1), ("FBEE", 1), ("FCHO", 1)]),
    ("BUN-TEA", "茶礼套装", "Tea gift set", [("TLJ", 1), ("TPU", 1)]),
    ("BUN-CAFE", "下午茶组合", "Afternoon tea kit", [("TFLW", 1), ("TCOF", 1), ("FCHO", 1)]),
    ("BUN-MAKE", "彩妆组合", "Make-up set", [("MLIP", 1), ("MCSH", 1), ("MBRW", 1)]),
    ("BUN-SOCK", "袜子两盒装", "Socks double pack", [("MSOC", 2)]),
    ("BUN-FEST", "端午礼盒", "Dragon Boat gift box", [("FZZI", 2), ("TFLW", 1)]),
    ("BUN-MOON", "中秋团圆礼盒", "Mid-Autumn gift box", [("FMOON", 1), ("TLJ", 1)]),
)  # fmt: skip

WAREHOUSES = (  # code, name, region, address, priority
    ("SH", "上海仓", "华东", "上海市青浦区华新镇华腾路 88 号", 10),
    ("GZ", "广州仓", "华南", "广州市白云区太和镇物流园 6 号库", 20),
    ("CD", "成都仓", "西南", "成都市双流区空港物流中心 B3", 30),
)


class DemoShop(NamedTuple):
    """A shop of the demo company: ``warehouse`` is its default warehouse's code, ``share`` its share
    of the orders."""

    code: str
    name: str
    platform: str
    currency: str
    warehouse: str
    share: float


SHOPS = (
    DemoShop("TB-MAIN", "悦家好物淘宝店", "taobao", "CNY", "SH", 0.28),
    DemoShop("TM-FLAG", "悦家天猫旗舰店", "tmall", "CNY", "SH", 0.26),
    DemoShop("JD-POP", "悦家京东旗舰店", "jd", "CNY", "SH", 0.2),
    DemoShop("PDD-1", "悦家拼多多店", "pdd", "CNY", "GZ", 0.18),
    DemoShop("SHOPIFY-US", "YueHome US (Shopify)", "shopify", "USD", "GZ", 0.08),
)
SUPPLIERS = (  # code, name, currency, lead time, MOQ, category roots supplied
    ("SUP-FZ", "杭州丝语服饰有限公司", "CNY", 12, 100, ("APPAREL/WOMEN",)),
    ("SUP-MW", "广州型男制衣厂", "CNY", 10, 100, ("APPAREL/MEN",)),
    ("SUP-KT", "永康厨具实业有限公司", "CNY", 7, 50, ("HOME/KITCHEN",)),
    ("SUP-ST", "义乌收纳日用品厂", "CNY", 5, 100, ("HOME/STORAGE",)),
    ("SUP-SZ", "Shenzhen Brightlink Electronics Ltd.", "USD", 14, 200, ("DIGITAL/PHONE", "DIGITAL/PC")),
    ("SUP-BT", "上海花漾化妆品有限公司", "CNY", 9, 60, ("BEAUTY/SKIN", "BEAUTY/MAKEUP")),
    ("SUP-FD", "福建闽香食品有限公司", "CNY", 6, 80, ("FOOD/SNACK",)),
    ("SUP-TEA", "Yunnan Highland Tea Export Co.", "USD", 21, 40, ("FOOD/TEA",)),
)  # fmt: skip
PROVINCES = (  # province, a city, weight of buyers
    ("广东", "深圳", 14), ("浙江", "杭州", 10), ("江苏", "南京", 10), ("上海", "上海", 8),
    ("北京", "北京", 7), ("山东", "青岛", 7), ("四川", "成都", 6), ("福建", "厦门", 5),
    ("湖北", "武汉", 5), ("河南", "郑州", 5), ("湖南", "长沙", 4), ("安徽", "合肥", 3),
    ("重庆", "重庆", 3), ("河北", "石家庄", 3), ("陕西", "西安", 3), ("辽宁", "沈阳", 2),
    ("广西", "南宁", 2), ("云南", "昆明", 2), ("江西", "南昌", 2), ("天津", "天津", 2),
    ("贵州", "贵阳", 1), ("黑龙江", "哈尔滨", 1), ("吉林", "长春", 1), ("山西", "太原", 1),
)  # fmt: skip
US_STATES = (("CA", "Los Angeles"), ("NY", "New York"), ("TX", "Houston"), ("WA", "Seattle"), ("FL", "Miami"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲"
EN_NAMES = ("Emma Johnson", "Liam Smith", "Olivia Brown", "Noah Davis", "Ava Miller", "Lucas Wilson",
            "Mia Moore", "Ethan Taylor", "Chloe Lee", "Mason Clark")  # fmt: skip
CUSTOMERS = 1200


def ean13(body12: str) -> str:
    """Append the EAN-13 check digit. >>> ean13("690123456789")
    '6901234567892'"""
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def _variants(kind: str | None) -> list[tuple[str, dict, str, str]]:
    """(code suffix, spec, 中文 suffix, English suffix) of an item's variants."""
    if kind == "size":
        return [(f"-{s}", {"尺码": zh}, f" {zh}", f" {s}") for s, zh in SIZES]
    if kind == "colour":
        return [(f"-{c}", {"颜色": zh}, f" {zh}", f" {en}") for c, zh, en in COLOURS]
    if kind == "both":
        return [
            (f"-{c}-{s}", {"颜色": czh, "尺码": s}, f" {czh} {s}", f" {cen} {s}")
            for c, czh, cen in COLOURS
            for s, _ in SIZES
        ]
    return [("", {}, "", "")]


def setup(ctx: DemoContext) -> None:
    s, admin, rng = ctx.session, ctx.admin, ctx.rng_for("catalog")
    cats = []
    for level in (False, True):  # roots first, so children find their parent
        cats += catalog.create_records(
            s,
            admin,
            "category",
            [
                {"code": c, "name_zh": zh, "name_en": en, "parent": p}
                for c, zh, en, p in CATEGORIES
                if (p is not None) == level
            ],
        )
    ctx.ids["category"] = {c.code: c.id for c in cats}
    products, first_variant, n = [], {}, 0
    for cat, code, zh, en, price, kind in ITEMS:
        for suffix, spec, zh_suffix, en_suffix in _variants(kind):
            n += 1
            list_price = Decimal(price)
            products.append(
                {
                    "sku": f"{code}{suffix}",
                    "barcode": ean13(f"69{ctx.seed % 100:02d}{n:08d}"),
                    "name_zh": zh + zh_suffix,
                    "name_en": en + en_suffix,
                    "category": cat,
                    "spec": spec,
                    "unit": "件",
                    "weight_kg": Decimal(rng.randint(1, 40)) / 20,
                    "cost": round_money(list_price * Decimal(rng.randint(35, 55)) / 100),
                    "list_price": list_price,
                }
            )
            first_variant.setdefault(code, f"{code}{suffix}")
    prices = {p["sku"]: p["list_price"] for p in products}
    category_of = {code: category for category, code, *_ in ITEMS}
    bundles = []
    for code, zh, en, parts in BUNDLES:
        n += 1
        comps = [(first_variant[prefix], qty) for prefix, qty in parts]
        first_prefix, _ = parts[0]  # a bundle sits in its first component's category
        bundle = {
            "sku": code,
            "barcode": ean13(f"69{ctx.seed % 100:02d}{n:08d}"),
            "name_zh": zh,
            "name_en": en,
            "category": category_of[first_prefix],
            "unit": "套",
            "is_bundle": True,
            "list_price": round_money(sum(prices[c] * q for c, q in comps) * Decimal("0.85")),
            "components": comps,
        }
        bundles.append(bundle)
    created = catalog.create_records(s, admin, "product", products)  # components first
    created += catalog.create_records(s, admin, "product", bundles)
    ctx.ids["product"] = {p.sku: p.id for p in created}
    ctx.data["products"] = [
        DemoProduct(p.id, p.sku, p.list_price, p.cost, p.is_bundle, p.category_id) for p in created
    ]
    del created, cats  # let the session forget the objects: flushes stay cheap later
    whs = catalog.create_records(
        s,
        admin,
        "warehouse",
        [{"code": c, "name": n, "region": r, "address": a, "priority": p} for c, n, r, a, p in WAREHOUSES],
    )
    ctx.ids["warehouse"] = {w.code: w.id for w in whs}
    shop_rows = [
        {
            "code": shop.code,
            "name": shop.name,
            "platform": shop.platform,
            "currency": shop.currency,
            "default_warehouse": shop.warehouse,
            "credentials_ref": f"secrets:{shop.code}",
        }
        for shop in SHOPS
    ]
    shops = catalog.create_records(s, admin, "shop", shop_rows)
    ctx.ids["shop"] = {sh.code: sh.id for sh in shops}
    sups = catalog.create_records(
        s,
        admin,
        "supplier",
        [
            {
                "code": c,
                "name": n,
                "currency": cur,
                "lead_time_days": lt,
                "min_order_qty": moq,
                "contact_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "phone": f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}",
            }
            for c, n, cur, lt, moq, _ in SUPPLIERS
        ],
    )
    ctx.ids["supplier"] = {x.code: x.id for x in sups}
    ctx.data["supplier_of_category"] = {
        ctx.ids["category"][cat]: ctx.ids["supplier"][c] for c, *_, cats_ in SUPPLIERS for cat in cats_
    }
    _rates(ctx)
    _customers(ctx, rng)


YEAR_OF_WEEKS = 52


def _rates(ctx: DemoContext) -> None:
    """A USD rate a week, wandering around 7.1."""
    rng = ctx.rng_for("fx")
    rate, rows, day = Decimal("7.1000"), [], ctx.start - dt.timedelta(days=7)
    while day <= ctx.end:
        rate = min(max(rate + Decimal(rng.randint(-30, 30)) / 10000, Decimal("6.8")), Decimal("7.4"))
        rows.append({"currency": "USD", "rate_date": day, "rate": rate})
        day += dt.timedelta(days=7)
    # A year of rates at a time, each year's on its first day: no date may lie more than a year
    # after the (simulated) today (ecerp_core.dates), and a history may be longer than a year.
    set_exchange_rates(ctx.session, ctx.admin, rows[:YEAR_OF_WEEKS], source="demo")
    for first in range(YEAR_OF_WEEKS, len(rows), YEAR_OF_WEEKS):
        batch = rows[first : first + YEAR_OF_WEEKS]
        with frozen_clock(ctx.at(batch[0]["rate_date"], 9 * 60)):
            set_exchange_rates(ctx.session, ctx.admin, batch, source="demo")


def _customers(ctx: DemoContext, rng) -> None:
    weights = [w for *_, w in PROVINCES]
    rows, accounts = [], []
    for n in range(1, CUSTOMERS + 1):
        shop = rng.choices(SHOPS, weights=[x.share for x in SHOPS])[0]
        if shop.platform == "shopify":
            state, city = rng.choice(US_STATES)
            name, country = rng.choice(EN_NAMES), "US"
            region = state
        else:
            region, city, _ = rng.choices(PROVINCES, weights=weights)[0]
            name, country = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN)), "CN"
        code = f"C{n:05d}"
        rows.append(
            {
                "code": code,
                "name": name,
                "country": country,
                "region": region,
                "city": city,
                "phone": f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}" if country == "CN" else "",
                "tier": rng.choices(("normal", "silver", "gold", "vip"), weights=(80, 12, 6, 2))[0],
            }
        )
        accounts.append((code, shop.code, f"{shop.platform}_{rng.randrange(16**8):08x}"))
        if shop.platform != "shopify" and rng.random() < 0.25:
            other = rng.choice([x for x in SHOPS if x.platform not in ("shopify", shop.platform)])
            accounts.append((code, other.code, f"{other.platform}_{rng.randrange(16**8):08x}"))
    ctx.ids["customer"] = {
        c.code: c.id for c in catalog.create_records(ctx.session, ctx.admin, "customer", rows)
    }
    by_code = {r["code"]: r for r in rows}
    link_customer_accounts(ctx.session, ctx.admin, accounts)
    ctx.data["buyers"] = {}
    for code, shop, buyer in accounts:
        r = by_code[code]
        ctx.data["buyers"].setdefault(shop, []).append((buyer, r["name"], r["region"], r["city"]))


STEP = DemoStep("catalog", setup)
