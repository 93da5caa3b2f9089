"""Reference data for ``civic sample``: regions with real names and codes, the kinds of units of each unit type,
point names, problem vocabulary, personal names, festival dates.

Provinces, cities and districts carry their real 统计用区划代码 (2+2+2 digits); street names are real names of
those districts, with 街道 codes assigned in order (001, 002, …) and 000 for the village level — the structure of
a 12-digit code, illustrative in its last six digits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

REGIONS = """
浙江省 33|杭州市 01|上城区 02:湖滨街道,清波街道,小营街道,望江街道;拱墅区 05:米市巷街道,湖墅街道,小河街道,和睦街道;西湖区 06:北山街道,西溪街道,灵隐街道,翠苑街道;滨江区 08:西兴街道,长河街道,浦沿街道
浙江省 33|宁波市 02|海曙区 03:月湖街道,南门街道,鼓楼街道;江北区 05:中马街道,白沙街道,孔浦街道;鄞州区 12:钟公庙街道,中河街道,首南街道
江苏省 32|南京市 01|玄武区 02:梅园新村街道,新街口街道,玄武门街道;秦淮区 04:夫子庙街道,瑞金路街道,朝天宫街道;鼓楼区 06:宁海路街道,华侨路街道,湖南路街道
江苏省 32|苏州市 05|姑苏区 08:平江街道,沧浪街道,双塔街道;吴中区 06:长桥街道,越溪街道,城南街道
广东省 44|广州市 01|越秀区 04:北京街道,人民街道,东山街道;海珠区 05:江南中街道,滨江街道,素社街道;天河区 06:石牌街道,天河南街道,林和街道
广东省 44|深圳市 03|罗湖区 03:桂园街道,黄贝街道,东门街道;福田区 04:园岭街道,南园街道,福田街道;南山区 05:南头街道,粤海街道,蛇口街道
四川省 51|成都市 01|锦江区 04:春熙路街道,书院街街道,合江亭街道;青羊区 05:少城街道,草市街街道,西御河街道;武侯区 07:浆洗街街道,望江路街道,玉林街道
湖北省 42|武汉市 01|江岸区 02:大智街道,一元街道,车站街道;江汉区 03:民族街道,花楼街道,水塔街道;武昌区 06:积玉桥街道,中华路街道,粮道街道
山东省 37|济南市 01|历下区 02:泉城路街道,大明湖街道,解放路街道;市中区 03:大观园街道,杆石桥街道,四里村街道
山东省 37|青岛市 02|市南区 02:八大关街道,中山路街道,香港中路街道;市北区 03:辽宁路街道,登州路街道,宁夏路街道
河南省 41|郑州市 01|中原区 02:林山寨街道,建设路街道,棉纺路街道;二七区 03:德化街街道,一马路街道,蜜蜂张街道;金水区 05:经八路街道,花园路街道,文化路街道
"""

INSTITUTIONS: dict[str, list[tuple[str, str, str]]] = {  # type → (name suffix, 组别, 主管单位)
    "机关": [("人民政府办公室", "党政机关组", "区直机关工委"), ("教育局", "党政机关组", "区直机关工委"), ("民政局", "党政机关组", "区直机关工委"),
           ("市场监督管理局", "执法部门组", "区直机关工委"), ("税务局", "执法部门组", "区直机关工委"), ("人力资源和社会保障局", "党政机关组", "区直机关工委")],
    "事业单位": [("人民医院", "卫生系统", "区卫健局"), ("中医院", "卫生系统", "区卫健局"), ("疾病预防控制中心", "卫生系统", "区卫健局"),
             ("第一中学", "教育系统", "区教育局"), ("实验小学", "教育系统", "区教育局"), ("图书馆", "文化系统", "区文旅局"), ("文化馆", "文化系统", "区文旅局")],
    "企业": [("供电公司", "公用事业组", "区国资办"), ("自来水有限公司", "公用事业组", "区国资办"), ("公交集团有限公司", "公用事业组", "区交通运输局"),
           ("农商银行支行", "金融系统", "区金融办"), ("燃气有限公司", "公用事业组", "区国资办"), ("城市建设投资集团", "国有企业组", "区国资办")],
}
POINT_NAMES = {"办公区域": ["行政楼办公室", "综合楼三层", "机关办公区"], "服务窗口": ["办事大厅窗口", "收费窗口", "咨询服务台"],
               "公共区域": ["门厅", "楼梯间", "停车场", "职工食堂"]}
PROBLEM_TYPES = ["乱堆乱放", "卫生死角", "吸烟现象", "不文明用语", "公益广告破损", "设施损坏", "垃圾未分类", "禁烟标识缺失"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
LEVELS = ["一般", "较大", "重大"]


@dataclass(frozen=True)
class Street:
    province: str
    city: str
    district: str
    street: str
    code: str


def parse_regions(text: str = REGIONS) -> list[Street]:
    streets: list[Street] = []
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        province, city, districts = line.split("|")
        p_name, p_code = province.split()
        c_name, c_code = city.split()
        for block in districts.split(";"):
            head, names = block.split(":")
            d_name, d_code = head.split()
            for index, name in enumerate(names.split(","), start=1):
                streets.append(Street(p_name, c_name, d_name, name, f"{p_code}{c_code}{d_code}{index:03d}000"))
    return streets


STREETS = parse_regions()


FESTIVALS = {"春节": (2, 10), "元宵节": (2, 24), "清明节": (4, 4), "端午节": (6, 10), "七夕节": (8, 10), "中秋节": (9, 17), "重阳节": (10, 11)}



# type → (name pattern, 组别, 主管/责任单位); {s} = street short name, {x} = a surname
KINDS: dict[str, list[tuple[str, str, str]]] = {
    "学校": [("第{n}中学", "教育系统", "区教育局"), ("实验小学", "教育系统", "区教育局")],
    "医院": [("人民医院", "卫生系统", "区卫健局"), ("中医院", "卫生系统", "区卫健局")],
    "小学": [("第{n}小学", "小学组", "区教育局"), ("实验小学", "小学组", "区教育局")],
    "初中": [("第{n}初级中学", "初中组", "区教育局")],
    "高中": [("第{n}高级中学", "高中组", "区教育局")],
    "九年一贯制": [("{s}九年一贯制学校", "九年一贯制组", "区教育局")],
    "社区": [("{s}社区", "社区组", "{street}")],
    "小区": [("{s}花园小区", "小区组", "{street}"), ("{s}新村", "小区组", "{street}")],
    "街道": [("{street}办事处", "街道组", "区文明办")],
    "行政村": [("{s}村", "行政村组", "{street}")],
    "乡镇": [("{s}镇", "乡镇组", "县文明办")],
    "家庭": [("{x}家庭", "家庭组", "{street}")],
    "政务服务大厅": [("政务服务中心", "政务服务", "区政务服务管理局")],
    "银行网点": [("农商银行{s}支行", "金融系统", "区金融办"), ("工商银行{s}支行", "金融系统", "区金融办")],
    "通信营业厅": [("移动{s}营业厅", "通信行业", "区经信局")],
    "公交客运": [("公交集团第{n}分公司", "交通运输", "区交通运输局")],
    "供水供电营业厅": [("供电营业厅（{s}）", "公用事业", "区国资办"), ("自来水营业厅（{s}）", "公用事业", "区国资办")],
}


def unit_identity(rng: random.Random, street: Street, unit_type: str, scope: str) -> tuple[str, str, str, list[str]]:
    """(名称, 组别, 责任单位, 区划路径) of a unit of ``unit_type`` located in ``street``."""
    path = [street.province, street.city, street.district, street.street]
    if scope == "city":  # the unit is a city or a county-level area
        county = any(word in unit_type for word in ("县", "区"))
        name = f"{street.city}{street.district}" if county else street.city
        return name, f"{unit_type}组", f"{street.province}文明办", path[: 3 if county else 2]
    options = INSTITUTIONS.get(unit_type) or KINDS.get(unit_type) or [("单位", f"{unit_type}组", "区文明办")]
    pattern, group, responsible = rng.choice(options)
    short = street.street.removesuffix("街道")
    values = {"s": short, "x": rng.choice(SURNAMES) + rng.choice(GIVEN), "n": "一二三四五六七八"[rng.randrange(8)], "street": street.street}
    name = pattern.format(**values)
    if unit_type not in ("街道", "社区", "小区", "行政村", "乡镇", "家庭"):
        name = f"{street.city}{street.district}{name}"
    return name, group, responsible.format(**values), path
