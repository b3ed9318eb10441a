"""Every label of the web pages, in Vietnamese (the default, with full
diacritics) and English: one catalogue, one place."""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "sohoa_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"vi": "Số hóa hồ sơ", "en": "Dossier archive"},
    "login": {"vi": "Đăng nhập", "en": "Sign in"},
    "logout": {"vi": "Đăng xuất", "en": "Sign out"},
    "username": {"vi": "Tên đăng nhập", "en": "User name"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "login_failed": {
        "vi": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "en": "Wrong user name or password.",
    },
    "login_throttled": {
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.",
        "en": "Too many failed sign-ins. Please try again in a few minutes.",
    },
    "search": {"vi": "Tìm kiếm", "en": "Search"},
    "search_placeholder": {
        "vi": "Họ tên, số CCCD/CMND, mã số thuế, mã hồ sơ, số ký hiệu… (không cần dấu)",
        "en": "Name, ID card number, tax code, dossier code, number/symbol… (accents optional)",
    },
    "document_type": {"vi": "Loại văn bản", "en": "Document type"},
    "unit": {"vi": "Đơn vị", "en": "Unit"},
    "year": {"vi": "Năm", "en": "Year"},
    "date_from": {"vi": "Từ ngày", "en": "From"},
    "date_to": {"vi": "Đến ngày", "en": "To"},
    "all": {"vi": "Tất cả", "en": "All"},
    "sort": {"vi": "Sắp xếp", "en": "Sort"},
    "sort_relevance": {"vi": "Liên quan nhất", "en": "Relevance"},
    "sort_date": {"vi": "Mới nhất", "en": "Newest"},
    "results": {"vi": "kết quả", "en": "results"},
    "no_results": {"vi": "Không tìm thấy hồ sơ nào.", "en": "No records found."},
    "page": {"vi": "Trang", "en": "Page"},
    "previous": {"vi": "Trang trước", "en": "Previous"},
    "next": {"vi": "Trang sau", "en": "Next"},
    "exact_match": {"vi": "Khớp chính xác", "en": "Exact match"},
    "record": {"vi": "Hồ sơ", "en": "Record"},
    "dossier_code": {"vi": "Mã hồ sơ", "en": "Dossier code"},
    "issue_date": {"vi": "Ngày ban hành", "en": "Issue date"},
    "pages": {"vi": "Số trang", "en": "Pages"},
    "metadata": {"vi": "Thông tin hồ sơ", "en": "Metadata"},
    "field": {"vi": "Trường", "en": "Field"},
    "value": {"vi": "Giá trị", "en": "Value"},
    "original_value": {"vi": "Giá trị gốc", "en": "Original value"},
    "corrected_by": {"vi": "Sửa bởi", "en": "Corrected by"},
    "correct": {"vi": "Sửa", "en": "Correct"},
    "save": {"vi": "Lưu", "en": "Save"},
    "corrections": {"vi": "Lịch sử chỉnh sửa", "en": "Correction history"},
    "downloads": {"vi": "Tải xuống", "en": "Downloads"},
    "download_pdf": {"vi": "PDF có thể tìm kiếm", "en": "Searchable PDF"},
    "download_original": {"vi": "Bản gốc", "en": "Original"},
    "page_images": {"vi": "Ảnh trang", "en": "Page images"},
    "zoom": {"vi": "Phóng to / thu nhỏ", "en": "Zoom in / out"},
    "ocr_text": {"vi": "Văn bản nhận dạng (OCR)", "en": "Recognized text (OCR)"},
    "low_confidence": {
        "vi": "Từ được gạch chân có độ tin cậy nhận dạng thấp",
        "en": "Underlined words were read with low confidence",
    },
    "confidence": {"vi": "Độ tin cậy", "en": "Confidence"},
    "reuse_title": {"vi": "Tái sử dụng cho hồ sơ …", "en": "Reuse for dossier …"},
    "reuse_help": {
        "vi": "Ghi nhận hồ sơ này được dùng cho một hồ sơ mới (công dân không phải nộp lại).",
        "en": "Record that this record served a new dossier (the citizen need not bring it again).",
    },
    "new_dossier_code": {"vi": "Mã hồ sơ mới", "en": "New dossier code"},
    "reuse_button": {"vi": "Tái sử dụng", "en": "Reuse"},
    "reuses": {"vi": "Đã tái sử dụng", "en": "Reused"},
    "review_queue": {"vi": "Hồ sơ cần kiểm tra", "en": "Review queue"},
    "review_reasons": {"vi": "Lý do cần kiểm tra", "en": "Why to review"},
    "confirm": {"vi": "Xác nhận đúng", "en": "Confirm"},
    "confirmed": {"vi": "Đã xác nhận", "en": "Confirmed"},
    "digitized_at": {"vi": "Ngày số hóa", "en": "Digitized"},
    "waiting": {"vi": "hồ sơ đang chờ", "en": "records waiting"},
    "audit": {"vi": "Nhật ký truy cập", "en": "Audit log"},
    "time": {"vi": "Thời gian", "en": "Time"},
    "user": {"vi": "Người dùng", "en": "User"},
    "action": {"vi": "Thao tác", "en": "Action"},
    "detail": {"vi": "Chi tiết", "en": "Detail"},
    "client_address": {"vi": "Địa chỉ máy", "en": "Client address"},
    "export_csv": {"vi": "Xuất CSV", "en": "Export CSV"},
    "filter": {"vi": "Lọc", "en": "Filter"},
    "status": {"vi": "Tình trạng lưu trữ", "en": "Archive status"},
    "records_count": {"vi": "Số hồ sơ", "en": "Records"},
    "pages_count": {"vi": "Số trang", "en": "Pages"},
    "indexed_count": {"vi": "Đã đánh chỉ mục", "en": "Indexed"},
    "mean_confidence": {"vi": "Độ tin cậy OCR trung bình", "en": "Mean OCR confidence"},
    "forbidden": {
        "vi": "Bạn không có quyền xem trang này.",
        "en": "You are not allowed to see this page.",
    },
    "not_found": {"vi": "Không tìm thấy.", "en": "Not found."},
    "language_switch": {"vi": "English", "en": "Tiếng Việt"},
    "api_docs": {"vi": "Tài liệu API", "en": "API documentation"},
    # Metadata fields
    "f_document_type": {"vi": "Loại văn bản", "en": "Document type"},
    "f_dossier_code": {"vi": "Mã hồ sơ", "en": "Dossier code"},
    "f_number_symbol": {"vi": "Số, ký hiệu", "en": "Number and symbol"},
    "f_issue_date": {"vi": "Ngày ban hành", "en": "Issue date"},
    "f_agency": {"vi": "Cơ quan ban hành", "en": "Issuing agency"},
    "f_person_name": {"vi": "Họ và tên", "en": "Full name"},
    "f_birth_date": {"vi": "Ngày sinh", "en": "Date of birth"},
    "f_citizen_id": {"vi": "Số CCCD", "en": "Citizen ID number"},
    "f_old_id": {"vi": "Số CMND", "en": "Old ID card number"},
    "f_tax_code": {"vi": "Mã số thuế", "en": "Tax code"},
    "f_phone": {"vi": "Số điện thoại", "en": "Phone"},
    # Audit actions
    "a_login": {"vi": "Đăng nhập", "en": "Sign-in"},
    "a_login_failed": {"vi": "Đăng nhập sai", "en": "Failed sign-in"},
    "a_search": {"vi": "Tìm kiếm", "en": "Search"},
    "a_view": {"vi": "Xem hồ sơ", "en": "View"},
    "a_download": {"vi": "Tải xuống", "en": "Download"},
    "a_edit": {"vi": "Sửa thông tin", "en": "Correction"},
    "a_reuse": {"vi": "Tái sử dụng", "en": "Reuse"},
    "a_user_admin": {"vi": "Quản lý người dùng", "en": "User management"},
    "a_export": {"vi": "Xuất nhật ký", "en": "Audit export"},
}


def language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, lang: str) -> str:
    """The label in ``lang``; a key missing from the catalogue shows as itself."""
    entry = MESSAGES.get(key)
    return entry.get(lang, entry[DEFAULT_LANGUAGE]) if entry else key
