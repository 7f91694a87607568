from flask import Blueprint

bp = Blueprint("wallboard", __name__, url_prefix="/wallboard")
