"""The words bench stories are written with, in English and their translations."""

WORDS = (  # noqa: SIM905 (a list literal of 17 words reads worse)
    "registry protocol legacy service vendor daemon licence session transport "
    "history assignment network server client enterprise archive mainframe"
).split()


# Words of the translations: stemmed languages, one written without spaces
# (bigram documents) and one right-to-left.
TRANSLATED_WORDS = {
    "de": "Registrierung Protokoll Altlast Dienst Hersteller Lizenz Sitzung "
    "Transport Geschichte Netzwerk Server Archiv Großrechner Lizenzen Dienste",
    "fr": "registre protocole héritage service éditeur démon licence session "
    "transport histoire réseau serveur client entreprise archive licences",
    "ru": "реестр протокол наследие служба поставщик лицензия сеанс транспорт "
    "история сеть сервер клиент предприятие архив лицензий",
    "ja": "登録 プロトコル 旧式 サービス ベンダー ライセンス セッション 通信 歴史 "
    "ネットワーク サーバー クライアント 企業 アーカイブ メインフレーム",
    "zh-hans": "注册 协议 遗留 服务 厂商 许可证 会话 传输 历史 网络 服务器 客户端 "
    "企业 归档 大型机",
    "ar": "سجل بروتوكول إرث خدمة مورد ترخيص جلسة نقل تاريخ شبكة خادم عميل "
    "مؤسسة أرشيف التراخيص",
}
UNSPACED = {"ja", "zh-hans"}
