"""QR codes for pages: standalone SVG, sharp at any size, no script needed."""

from __future__ import annotations


def qr_svg(data: str) -> bytes:
    """A QR code as a standalone SVG with a white background and the standard quiet zone."""
    import qrcode  # loaded with the first QR: see lobby.printing.render.render_job
    import qrcode.constants
    from qrcode.image.svg import SvgPathFillImage

    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
        image_factory=SvgPathFillImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    return bytes(qr.make_image().to_string(encoding="unicode").encode("utf-8"))
